import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Prng } from '../prng.js';
import { CHANGED_EPOCH, DATASETS, isMalformed, updatedAtOf, type DatasetContext, type DatasetSpec, type SourceRecord } from './datasets.js';
import { applySwitch, DEFAULT_SWITCHES, type Switches } from './switches.js';

/**
 * One department dataset as its system holds it: `size` generated records in (updatedAt, key)
 * order, plus the records changed since (moved to the end with a later `updatedAt`).
 */
export class SimDataset {
  private order: Int32Array | null = null;
  private readonly changes = new Map<number, { at: string; patch: SourceRecord }>();
  private changedCount = 0;

  constructor(
    readonly name: string,
    readonly spec: DatasetSpec,
    readonly ctx: DatasetContext,
    /** Records the system holds now (fewer once some are removed). */
    public size: number,
    /** The field the system stamps a change with. (Default: `gxsj`, 更新时间) */
    readonly stampField = 'gxsj',
  ) {}

  /** Index of the record at position `pos` of the change order. */
  indexAt(pos: number): number {
    return this.order ? this.order[pos] : pos;
  }

  /** The record with index i as the system holds it now (true state, never spoiled). */
  record(i: number): SourceRecord {
    const base = this.spec.record(i, this.ctx);
    const change = this.changes.get(i);
    return change ? { ...base, ...change.patch, [this.stampField]: change.at } : base;
  }

  stampAt(pos: number): string {
    const i = this.indexAt(pos);
    return this.changes.get(i)?.at ?? updatedAtOf(i);
  }

  keyOf(record: SourceRecord): string {
    return this.spec.key.map((k) => String(record[k])).join('|');
  }

  /** Changes record i (its fields patched, its stamp now later than any other): it moves to the end of the order. */
  change(i: number, patch: SourceRecord): void {
    if (!this.order) this.order = Int32Array.from({ length: this.size }, (_, k) => k);
    const at = new Date(CHANGED_EPOCH + ++this.changedCount * 1000).toISOString();
    const pos = this.order.subarray(0, this.size).indexOf(i);
    if (pos < 0) throw new Error(`record ${i} was removed`);
    this.order.copyWithin(pos, pos + 1, this.size);
    this.order[this.size - 1] = i;
    this.changes.set(i, { at, patch: { ...(this.changes.get(i)?.patch ?? {}), ...patch } });
  }

  /** Removes record i, as the department's system deletes a record: it is no longer served. */
  remove(i: number): void {
    if (!this.order) this.order = Int32Array.from({ length: this.size }, (_, k) => k);
    const pos = this.order.subarray(0, this.size).indexOf(i);
    if (pos < 0) return;
    this.order.copyWithin(pos, pos + 1, this.size);
    this.size--;
    this.changes.delete(i);
  }

  /** First position whose (stamp, key) is after (ts, key): keyset paging over the change order. */
  firstAfter(ts: string, key: string | null): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const stamp = this.stampAt(mid);
      const after = stamp > ts || (stamp === ts && key !== null && this.keyOf(this.record(this.indexAt(mid))) > key);
      if (after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Every record in its true state, by key: what the hub must hold after a sync (apart from quarantine). */
  *all(): Iterable<{ index: number; key: string; record: SourceRecord }> {
    for (let pos = 0; pos < this.size; pos++) {
      const index = this.indexAt(pos);
      const record = this.record(index);
      yield { index, key: this.keyOf(record), record };
    }
  }
}

export interface RestSimulatorOptions {
  /** Bearer token the system expects (`authorization: Bearer …`), or an API key in `x-api-key`. (Default: none asked) */
  token?: string;
  apiKey?: string;
  switches?: Partial<Switches>;
  host?: string;
  port?: number;
}

export interface RestSimulator {
  url: string;
  dataset: SimDataset;
  switches: Switches;
  /** Requests answered so far (for outage timing and tests). */
  requests(): number;
  setSwitches(changes: Record<string, unknown>): Switches;
  /** Whether record i is served spoiled (so a faithful hub holds it in quarantine, not in its table). */
  malformed(i: number): boolean;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}

/**
 * A department system's HTTP API over one dataset: `GET /records?limit&cursor|offset&since&sinceKey`
 * answers `{ items, next, total }` in (updatedAt, key) order, after the given position if asked.
 * Faults come from its switches; `POST /_switches` changes them, `GET /_health` says it is up.
 */
export async function startRestSimulator(dataset: SimDataset, options: RestSimulatorOptions = {}): Promise<RestSimulator> {
  const switches: Switches = { ...DEFAULT_SWITCHES, ...options.switches };
  let requests = 0;
  let outageLeft = 0;
  const rng = new Prng(dataset.ctx.seed + 17);
  const malformed = (i: number) => isMalformed(i, switches.malformedRate, dataset.ctx.seed);
  const setSwitches = (changes: Record<string, unknown>) => {
    const next = { ...switches };
    const problems = Object.entries(changes).map(([k, v]) => applySwitch(next, k, v)).filter(Boolean);
    if (problems.length) throw new Error(problems.join('; '));
    Object.assign(switches, next);
    return { ...switches };
  };

  async function records(req: IncomingMessage, res: ServerResponse, url: URL) {
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return json(res, 401, { error: 'bad or missing bearer token' });
    if (options.apiKey && req.headers['x-api-key'] !== options.apiKey) return json(res, 401, { error: 'bad or missing API key' });
    requests++;
    if (switches.outageAfter && requests === switches.outageAfter) outageLeft = switches.outageRequests;
    if (switches.latencyMs) await sleep(switches.latencyMs);
    if (switches.slowRate && rng.chance(switches.slowRate)) await sleep(switches.slowMs);
    if (switches.down) return json(res, 503, { error: 'down (switch)' });
    if (outageLeft > 0) {
      outageLeft--;
      return json(res, 503, { error: 'outage (switch)' });
    }
    if (switches.errorRate && rng.chance(switches.errorRate)) return json(res, 500, { error: 'internal error (switch)' });
    if (switches.rateLimitRate && rng.chance(switches.rateLimitRate)) return json(res, 429, { error: 'slow down' }, { 'retry-after': String(switches.retryAfterSeconds) });
    const limit = Math.min(10_000, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100));
    const since = url.searchParams.get('since');
    const from = since ? dataset.firstAfter(since, url.searchParams.get('sinceKey')) : 0;
    const cursor = url.searchParams.get('cursor');
    const offset = url.searchParams.get('offset');
    const start = cursor !== null ? Number(cursor) : from + (offset !== null ? Number(offset) : 0);
    if (!Number.isInteger(start) || start < 0) return json(res, 400, { error: 'bad cursor or offset' });
    const end = Math.min(dataset.size, start + limit);
    const items: SourceRecord[] = [];
    for (let pos = start; pos < end; pos++) {
      const i = dataset.indexAt(pos);
      const record = dataset.record(i);
      items.push(malformed(i) ? dataset.spec.malform(record) : record);
      if (switches.duplicateRate && rng.chance(switches.duplicateRate)) items.push(items.at(-1)!);
    }
    if (switches.reorder) {
      for (let k = items.length - 1; k > 0; k--) {
        const j = rng.int(0, k);
        [items[k], items[j]] = [items[j], items[k]];
      }
    }
    json(res, 200, { items, next: end < dataset.size ? String(end) : null, total: dataset.size - from });
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const done = (p: Promise<unknown>) => p.catch((err: Error) => json(res, 500, { error: err.message }));
    if (url.pathname === '/_health') return json(res, 200, { status: 'ok', dataset: dataset.name, size: dataset.size });
    if (url.pathname === '/_switches' && req.method === 'POST') {
      return void done(readBody(req).then((b) => json(res, 200, setSwitches(b as Record<string, unknown>))).catch((err: Error) => json(res, 400, { error: err.message })));
    }
    if (url.pathname === '/records' && req.method === 'GET') return void done(records(req, res, url));
    json(res, 404, { error: 'no such route' });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dataset,
    switches,
    requests: () => requests,
    setSwitches,
    malformed,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const datasetSpec = (name: string): DatasetSpec => {
  const spec = DATASETS[name];
  if (!spec) throw new Error(`no simulated dataset "${name}" (one of ${Object.keys(DATASETS).join(', ')})`);
  return spec;
};
