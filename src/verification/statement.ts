import { SignJWT } from 'jose';
import type pg from 'pg';
import { HUB_KEY_ALG, type HubKey } from '../audit/hub-key.js';

export type StatementQuestion = 'LOW_INCOME_ELIGIBLE';
export type StatementAnswer = 'YES' | 'NO' | 'UNKNOWN';

export interface Statement {
  subject: string;
  question: StatementQuestion;
  answer: StatementAnswer;
  asOf: string | null;
  reference: string | null;
  jws: string;
}

/** Media type of a statement's JWS (`typ` header), so it is never mistaken for an access token. */
export const STATEMENT_TYP = 'huitong-statement+jwt';

/**
 * The answer to a yes/no question about one person, from the latest stored verification whose
 * household counted them: `YES` when it was `ELIGIBLE`, `NO` when `NOT_ELIGIBLE`, `UNKNOWN` when
 * it was incomplete or there is none. Signed with the hub's key: the claims are the subject, the
 * question, the answer, the as-of date and the reference, and nothing of the household.
 */
export async function makeStatement(pool: pg.Pool, key: HubKey, issuer: string, subject: string, question: StatementQuestion): Promise<Statement> {
  const { rows } = await pool.query<{ reference: string; verdict: string; checkDate: string }>(
    `select reference, verdict, to_char(check_date, 'YYYY-MM-DD') as "checkDate" from verification
     where result->'members' @> jsonb_build_array(jsonb_build_object('idNumber', $1::text, 'counted', true))
     order by decided_at desc limit 1`,
    [subject],
  );
  const found = rows[0] ?? null;
  const answer: StatementAnswer = !found ? 'UNKNOWN' : found.verdict === 'ELIGIBLE' ? 'YES' : found.verdict === 'NOT_ELIGIBLE' ? 'NO' : 'UNKNOWN';
  const asOf = found?.checkDate ?? null;
  const reference = found?.reference ?? null;
  const jws = await new SignJWT({ question, answer, asOf, ref: reference })
    .setProtectedHeader({ alg: HUB_KEY_ALG, kid: key.kid, typ: STATEMENT_TYP })
    .setIssuer(issuer)
    .setSubject(subject)
    .setIssuedAt()
    .sign(key.privateKey);
  return { subject, question, answer, asOf, reference, jws };
}
