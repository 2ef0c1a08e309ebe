import type { AccessSession, Identity } from '../access/index.js';
import type { Audit } from '../audit/index.js';
import type { CatalogState } from '../catalog/index.js';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import type { Exchange } from '../exchange/index.js';
import type { Logger } from '../log.js';
import type { HubHealth } from './health.js';
import type { HubMetrics } from './metrics.js';
import type { RepeatedFailures } from './throttle.js';
import type { LookupSources } from '../registries/department/index.js';

/** What the running hub offers its request handlers: built once at start-up. */
export interface HubServices {
  config: Config;
  logger: Logger;
  db: Database;
  version: string;
  /** Token verification, registered keys, departments and purposes. */
  identity: Identity;
  /** The append-only, hash-chained audit trail. */
  audit: Audit;
  /** Resources and grants in memory, as the access policy reads them. */
  catalog: CatalogState;
  /** Liveness and readiness, as `/healthz` and `/readyz` report them. */
  health: HubHealth;
  /** Failures that repeat (every request during a database outage) are logged once per interval with a count. */
  failures: RepeatedFailures;
  /** Sources asked at query time for data that stays with them (`lookup` connectors). (Default: none) */
  lookups?: LookupSources;
  /** The connector runtime: definitions, runs, quarantine. (Absent in a hub started without connectors) */
  exchange?: Exchange;
  /** Prometheus metrics, served at `/metrics`. (Set once the hub is built) */
  metrics?: HubMetrics;
}

/** Per-request context handed to every resolver. Resolvers never read raw headers. */
export interface HubContext {
  hub: HubServices;
  /** Who asks, why, and what of the protected data has been released to them. */
  access: AccessSession;
}
