import type pg from 'pg';
import type { Logger } from '../../log.js';
import type { ConnectorDefinition } from '../definition.js';
import type { RawRecord } from '../mapping.js';

/**
 * Where a connector has got to in its source, committed with the batch it covers: for `rest` and
 * `database` the (watermark, key) of the last record of the batch; for `file` the file's checksum
 * and the rows of it taken in.
 */
export type Position = { ts: string; key: string } | { file: string; row: number };

/** What one batch did, once committed. */
export interface BatchOutcome {
  fetched: number;
  applied: number;
  unchanged: number;
  quarantined: number;
}

/** A page of a source: one batch, one transaction. */
export interface Page {
  records: RawRecord[];
  /** Payloads the source could not even read as records, with why: quarantined at the `parse` step. */
  unparsed?: { payload: unknown; error: string }[];
  /** The position once this page is committed; null leaves the watermark where it was. */
  position: Position | null;
  /** Work that must commit with the page (a file marked as taken in). */
  inTransaction?: (client: pg.PoolClient) => Promise<void>;
  /** Called after the page committed (a file moved to `done/` with its report). */
  committed?: (outcome: BatchOutcome) => Promise<void>;
}

export interface SourceContext {
  definition: ConnectorDefinition;
  env: Record<string, string | undefined>;
  logger: Logger;
  /** The hub's database, for sources that keep state there (files taken in). */
  pool: pg.Pool;
  runId: string;
  batchSize: number;
  signal: AbortSignal;
}

/** A source adapter: pages from a committed position (null: from the beginning). */
export interface Source {
  pages(from: Position | null): AsyncIterable<Page>;
  close(): Promise<void>;
}

/** A source failed after its retries: the run ends `failed` with this reason, keeping what committed. */
export class SourceFailed extends Error {}

/** Positions in (timestamp, key) order; timestamps compared as instants when both parse. */
export function comparePositions(a: { ts: string; key: string }, b: { ts: string; key: string }): number {
  const ta = Date.parse(a.ts);
  const tb = Date.parse(b.ts);
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta < tb ? -1 : 1;
  if (Number.isNaN(ta) || Number.isNaN(tb) || a.ts.length !== b.ts.length) {
    if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  } else if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return a.key === b.key ? 0 : a.key < b.key ? -1 : 1;
}
