export { verificationResolvers, verificationView } from './graphql.js';
export { startVerification, stopVerification, verificationService, type VerificationService } from './service.js';
export { loadScheme, checkScheme, standardFor, areaOf, schemeSchema, type Scheme, type Standard } from './scheme.js';
export { Verifier, readVerification, type StoredVerification, type VerificationCaller } from './verify.js';
export { demoLookupHoldings, smallDeposits } from './demo.js';
export { makeStatement, STATEMENT_TYP } from './statement.js';
