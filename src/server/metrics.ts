import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HubContext, HubServices } from './context.js';

/** Where Prometheus scrapes the hub. */
export const METRICS_PATH = '/metrics';

/**
 * The hub's Prometheus metrics (prom-client), one registry per hub (tests run several in one
 * process). Counters that other parts keep themselves (audit entries, token cache, catalogue
 * reloads, pool sizes) are read when scraped, so the request path pays nothing for them.
 */
export class HubMetrics {
  readonly registry = new Registry();
  readonly requests: Histogram<'operation' | 'outcome'>;
  readonly rateLimited: Counter<'department'>;
  readonly auditBatchSize: Histogram;
  readonly auditFlushSeconds: Histogram<'outcome'>;

  constructor(hub: Pick<HubServices, 'db' | 'audit' | 'identity' | 'catalog' | 'health'>, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'huitong_process_' });
    this.requests = new Histogram({
      name: 'huitong_graphql_request_duration_seconds',
      help: 'GraphQL operations by operation name and outcome (ok, or the first error code), with their latency',
      labelNames: ['operation', 'outcome'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.rateLimited = new Counter({ name: 'huitong_rate_limit_refusals_total', help: 'Requests refused by the rate limit (RATE_LIMITED)', labelNames: ['department'], registers });
    this.auditBatchSize = new Histogram({
      name: 'huitong_audit_batch_entries',
      help: 'Audit entries per group-commit batch',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers,
    });
    this.auditFlushSeconds = new Histogram({
      name: 'huitong_audit_flush_seconds',
      help: 'Seconds from a batch append to its durable commit (what an audited answer waits for)',
      labelNames: ['outcome'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    hub.audit.log.onBatch = (entries, seconds, ok) => {
      this.auditBatchSize.observe(entries);
      this.auditFlushSeconds.observe({ outcome: ok ? 'ok' : 'failed' }, seconds);
    };
    const read = (name: string, help: string, value: () => number, type: 'counter' | 'gauge' = 'counter') =>
      type === 'counter'
        ? new Counter({ name, help, registers, collect() { this.reset(); this.inc(value()); } })
        : new Gauge({ name, help, registers, collect() { this.set(value()); } });
    read('huitong_audit_entries_total', 'Audit entries written by this instance', () => hub.audit.log.entriesWritten);
    read('huitong_audit_batches_total', 'Audit group-commit batches written by this instance', () => hub.audit.log.batchesWritten);
    read('huitong_token_cache_hits_total', 'Bearer tokens answered from the verified-token cache', () => hub.identity.tokens.cacheHits);
    read('huitong_token_cache_misses_total', 'Bearer tokens verified anew (signature checked)', () => hub.identity.tokens.cacheMisses);
    read('huitong_catalog_reloads_total', 'Catalogue reloads (resources and grants) into memory', () => hub.catalog.reloads);
    const pool = hub.db.pool;
    new Gauge({
      name: 'huitong_db_pool_connections',
      help: 'The hub pool: connections open (total), idle, and requests waiting for one',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    read('huitong_db_pool_max', 'Largest number of pooled connections', () => (pool as unknown as { options: { max: number } }).options.max, 'gauge');
    read('huitong_ready', '1 when /readyz would answer 200 from the supervisor’s view (not draining, database up)', () => (hub.health.draining ? 0 : 1), 'gauge');
  }

  /** Times every GraphQL operation; the outcome is `ok` or the first error's code. */
  plugin(): Plugin<HubContext> {
    const requests = this.requests;
    const started = new WeakMap<Request, { at: number; operation: string }>();
    return {
      onRequestParse({ request }) {
        started.set(request, { at: performance.now(), operation: 'unknown' });
      },
      onExecute({ args }) {
        const request = (args.contextValue as HubContext & { request?: Request }).request;
        const entry = request && started.get(request);
        if (entry) entry.operation = getOperationAST(args.document, args.operationName)?.name?.value ?? 'anonymous';
      },
      onResultProcess({ request, result }) {
        const entry = started.get(request);
        if (!entry) return;
        started.delete(request);
        const single = Array.isArray(result) ? result[0] : result;
        const errors = (single as { errors?: readonly { extensions?: { code?: unknown } }[] } | undefined)?.errors;
        const outcome = errors?.length ? String(errors[0].extensions?.code ?? 'ERROR') : 'ok';
        requests.observe({ operation: entry.operation, outcome }, (performance.now() - entry.at) / 1000);
      },
    };
  }

  async serve(res: ServerResponse<IncomingMessage>): Promise<void> {
    const body = await this.registry.metrics();
    res.writeHead(200, { 'content-type': this.registry.contentType }).end(body);
  }
}
