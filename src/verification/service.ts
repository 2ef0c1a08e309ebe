import type { HubServices } from '../server/context.js';
import { loadScheme, type Scheme } from './scheme.js';
import { Verifier } from './verify.js';
import { jobQueueReady, startBatchWorker, type BatchWorker } from './batch.js';

/** What the running hub holds for verification: the scheme, the verifier and its batch worker. */
export interface VerificationService {
  scheme: Scheme;
  verifier: Verifier;
  /** This process's share of the batch jobs (none when the job queue is not installed or workers are 0). */
  worker: BatchWorker | null;
}

const services = new WeakMap<HubServices, VerificationService>();

/**
 * Starts verification for a hub. Item 12 (deposits and securities) is asked of the hub's own
 * `lookup` sources (`hub.lookups`), the same ones department data queries use: one financial source,
 * with its timeout, cache, breaker and audit naming.
 */
export async function startVerification(hub: HubServices): Promise<VerificationService> {
  const known = services.get(hub);
  if (known) return known;
  const scheme = loadScheme();
  const verifier = new Verifier(hub.db.pool, scheme, { lookups: hub.lookups ?? null });
  let worker: BatchWorker | null = null;
  if (hub.config.verificationWorkers > 0 && (await jobQueueReady(hub.db.pool))) {
    worker = await startBatchWorker({ pool: hub.db.pool, verifier, audit: hub.audit.log, logger: hub.logger, concurrency: hub.config.verificationWorkers, staleMs: hub.config.verificationWorkerStaleMs });
  }
  const service = { scheme, verifier, worker };
  services.set(hub, service);
  return service;
}

/** The hub's verification service (started on first use when `startVerification` was not called). */
export function verificationService(hub: HubServices): VerificationService {
  let service = services.get(hub);
  if (!service) {
    const scheme = loadScheme();
    service = { scheme, verifier: new Verifier(hub.db.pool, scheme, { lookups: hub.lookups ?? null }), worker: null };
    services.set(hub, service);
  }
  return service;
}

export async function stopVerification(hub: HubServices): Promise<void> {
  const service = services.get(hub);
  services.delete(hub);
  await service?.worker?.stop();
}
