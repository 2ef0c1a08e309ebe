import type { HubServices } from '../server/context.js';
import { smallDeposits, startFinancialSimulator, type FinancialSimulator } from './financial-simulator.js';
import { loadScheme, type Scheme } from './scheme.js';
import { Verifier } from './verify.js';
import type { QueryTimeLookups } from './sources.js';
import { jobQueueReady, startBatchWorker, type BatchWorker } from './batch.js';

/** What the running hub holds for verification: the scheme, the verifier, and the demo gateway if it runs one. */
export interface VerificationService {
  scheme: Scheme;
  verifier: Verifier;
  /** The simulated financial gateway the demo hub runs when no real one is configured. */
  simulator: FinancialSimulator | null;
  /** This process's share of the batch jobs (none when the job queue is not installed or workers are 0). */
  worker: BatchWorker | null;
}

const services = new WeakMap<HubServices, VerificationService>();

/** The hub's `lookup` sources (`HubServices.lookups` where the department registry provides them). */
const lookupsOf = (hub: HubServices): QueryTimeLookups | null => (hub as HubServices & { lookups?: QueryTimeLookups }).lookups ?? null;

/**
 * Starts verification for a hub: with demo data and no `HUITONG_FINANCIAL_URL`, a simulated
 * gateway on a loopback port (its demo households are set by `seedVerificationDemo`).
 */
export async function startVerification(hub: HubServices): Promise<VerificationService> {
  const known = services.get(hub);
  if (known) return known;
  const scheme = loadScheme();
  let simulator: FinancialSimulator | null = null;
  let financialUrl = hub.config.financialUrl;
  if (!financialUrl && hub.config.loadDemo) {
    simulator = await startFinancialSimulator({ fallback: smallDeposits });
    financialUrl = simulator.url;
    const { demoFinancialHoldings } = await import('./demo.js');
    await demoFinancialHoldings(hub.db.pool, simulator);
    hub.logger.info({ url: simulator.url }, 'simulated financial gateway started for the demo');
  }
  // The demo's households are promised verdicts against its own simulated gateway; elsewhere the
  // hub's lookup sources answer item 12 when they are configured.
  const verifier = new Verifier(hub.db.pool, scheme, { financialUrl, lookupTimeoutMs: hub.config.lookupTimeoutMs, lookups: simulator ? null : lookupsOf(hub) });
  let worker: BatchWorker | null = null;
  if (hub.config.verificationWorkers > 0 && (await jobQueueReady(hub.db.pool))) {
    worker = await startBatchWorker({ pool: hub.db.pool, verifier, audit: hub.audit.log, logger: hub.logger, concurrency: hub.config.verificationWorkers, staleMs: hub.config.verificationWorkerStaleMs });
  }
  const service = { scheme, verifier, simulator, worker };
  services.set(hub, service);
  return service;
}

/** The hub's verification service (started on first use when `startVerification` was not called). */
export function verificationService(hub: HubServices): VerificationService {
  let service = services.get(hub);
  if (!service) {
    const scheme = loadScheme();
    service = { scheme, verifier: new Verifier(hub.db.pool, scheme, { financialUrl: hub.config.financialUrl, lookupTimeoutMs: hub.config.lookupTimeoutMs, lookups: lookupsOf(hub) }), simulator: null, worker: null };
    services.set(hub, service);
  }
  return service;
}

export async function stopVerification(hub: HubServices): Promise<void> {
  const service = services.get(hub);
  services.delete(hub);
  await service?.worker?.stop();
  await service?.simulator?.close();
}
