import type { IResolvers } from '@graphql-tools/utils';
import type { Principal } from '../access/index.js';
import { auditedChange } from '../catalog/index.js';
import { requireRole } from '../catalog/requests.js';
import { decodeCursor, pageSize, toConnection } from '../server/connections.js';
import type { HubContext } from '../server/context.js';
import { badUserInput, HubError, notFound } from '../server/errors.js';
import { countRuns, listQuarantine, listRuns, QuarantineError, runById, type QuarantinedRow, type SyncRunRow } from './service.js';

/** The exchange is run by the hub's operator: its platform administrators, nobody else's. */
function requirePlatformAdmin(ctx: HubContext): Principal {
  const who = requireRole(ctx.access.principal, 'platform-admin');
  if (who.department !== ctx.hub.config.operatorDepartment) {
    throw new HubError('FORBIDDEN', `Only the hub operator's (${ctx.hub.config.operatorDepartment}) platform administrators run the exchange.`, { reason: 'operator-only' });
  }
  return who;
}

function exchangeOf(ctx: HubContext) {
  if (!ctx.hub.exchange) throw new HubError('SOURCE_UNAVAILABLE', 'This hub runs no connectors.', { reason: 'no-exchange' });
  return ctx.hub.exchange;
}

/** Reading quarantined payloads is an access to personal data: entered in the request's audit entry, with the subjects. */
function recordQuarantineRead(ctx: HubContext, rows: QuarantinedRow[]): void {
  const touched = ctx.access.touched.get('exchange.quarantine') ?? { fields: new Set<string>(), subjects: new Set<string>() };
  touched.fields.add('payload');
  for (const r of rows) if (r.subject) touched.subjects.add(r.subject);
  ctx.access.touched.set('exchange.quarantine', touched);
}

const toError = (err: unknown) => {
  if (err instanceof QuarantineError) {
    if (err.reason === 'not-found') return notFound('Quarantined record', err.message.split(' ').at(-1) ?? '');
    return badUserInput(err.reason === 'unknown-connector' ? 'connector' : err.reason === 'bad-payload' ? 'payload' : 'id', err.message);
  }
  return err;
};

const quarantineNode = (r: QuarantinedRow) => ({ ...r, payload: JSON.stringify(r.payload) });

/** A change to the exchange, entered in the audit trail; refused attempts (the wrong role or department) too. */
async function audited<A extends object, T>(ctx: HubContext, action: string, args: A, work: (client: import('pg').PoolClient, who: Principal) => Promise<{ result: T; detail?: unknown }>): Promise<T> {
  const caller = ctx.access.principal;
  if (!caller) throw new HubError('UNAUTHENTICATED', 'A signed token is needed.');
  const reason = 'reason' in args && typeof args.reason === 'string' ? args.reason : null;
  return auditedChange(ctx.hub.db.pool, ctx.hub.audit.log, caller, { action, arguments: args, reason }, async (client) => {
    try {
      const who = requirePlatformAdmin(ctx);
      return await work(client, who);
    } catch (err) {
      throw toError(err);
    }
  });
}

const actorOf = (p: Principal) => `${p.department}/${p.system}`;

export const exchangeResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    connectors: (_r, _a, ctx) => {
      requirePlatformAdmin(ctx);
      return [...exchangeOf(ctx).definitions.values()].map((d) => ({ ...d, enabled: d.enabled ?? true, watermark: d.watermark ?? null, schedule: d.schedule ?? null }));
    },
    syncRuns: async (_r, args: { connector: string; first?: number; after?: string | null }, ctx) => {
      requirePlatformAdmin(ctx);
      const exchange = exchangeOf(ctx);
      if (!exchange.definitions.has(args.connector)) throw badUserInput('connector', `no connector "${args.connector}"`);
      const first = pageSize(args.first);
      const after = decodeCursor(args.after, ['number']);
      const rows = await listRuns(exchange.pool, args.connector, first + 1, after ? Number(after[0]) : null);
      const connection = toConnection(rows, first, (r) => [Number(r.id)], (r) => r);
      return { ...connection, totalCount: () => countRuns(exchange.pool, args.connector) };
    },
    quarantinedRecords: async (_r, args: { connector?: string | null; state?: string | null; first?: number; after?: string | null }, ctx) => {
      requirePlatformAdmin(ctx);
      const first = pageSize(args.first);
      const after = decodeCursor(args.after, ['number']);
      const rows = await listQuarantine(exchangeOf(ctx).pool, { connector: args.connector, state: args.state }, first + 1, after ? Number(after[0]) : null);
      recordQuarantineRead(ctx, rows.slice(0, first));
      return toConnection(rows, first, (r) => [Number(r.id)], quarantineNode);
    },
    simulators: (_r, _a, ctx) => {
      requirePlatformAdmin(ctx);
      return [...exchangeOf(ctx).simulators.entries()].map(([system, s]) => ({ system, url: s.url, switches: JSON.stringify(s.switches) }));
    },
  },
  Mutation: {
    startSync: (_r, args: { connector: string; full?: boolean; reason?: string | null }, ctx) =>
      audited(ctx, 'startSync', args, async (_client, who) => {
        const exchange = exchangeOf(ctx);
        if (!exchange.definitions.has(args.connector)) throw badUserInput('connector', `no connector "${args.connector}"`);
        if (exchange.definitions.get(args.connector)!.kind === 'lookup') throw badUserInput('connector', 'a lookup connector is not synced: its data stays at the source');
        const started = await exchange.start(args.connector, { full: args.full ?? false, startedBy: actorOf(who) });
        if ('busy' in started) throw new HubError('CONFLICT', started.busy, { reason: 'already-running' });
        return { result: await runById(exchange.pool, started.runId), detail: { run: started.runId } };
      }),
    replayQuarantined: (_r, args: { id: string; payload?: string | null; reason: string }, ctx) =>
      audited(ctx, 'replayQuarantined', args, async (client, who) => {
        if (!args.reason?.trim()) throw badUserInput('reason', 'say why the record is replayed');
        let payload: unknown;
        if (args.payload !== null && args.payload !== undefined) {
          try {
            payload = JSON.parse(args.payload);
          } catch {
            throw badUserInput('payload', 'not JSON');
          }
        }
        const done = await exchangeOf(ctx).replay(client, args.id, payload, actorOf(who));
        recordQuarantineRead(ctx, [done.record]);
        return {
          result: { applied: done.ok, outcome: done.ok ? done.outcome : null, record: quarantineNode(done.record) },
          detail: done.ok ? { outcome: done.outcome } : { step: done.step, errors: done.errors },
        };
      }),
    discardQuarantined: (_r, args: { id: string; reason: string }, ctx) =>
      audited(ctx, 'discardQuarantined', args, async (client, who) => {
        if (!args.reason?.trim()) throw badUserInput('reason', 'say why the record is discarded');
        const row = await exchangeOf(ctx).discard(client, args.id, args.reason, actorOf(who));
        return { result: quarantineNode(row), detail: { connector: row.connector, sourceKey: row.sourceKey } };
      }),
    setSimulatorSwitches: (_r, args: { system: string; switches: string; reason?: string | null }, ctx) =>
      audited(ctx, 'setSimulatorSwitches', args, async () => {
        const sim = exchangeOf(ctx).simulators.get(args.system);
        if (!sim) throw badUserInput('system', `no simulator "${args.system}" runs in this hub`);
        let changes: unknown;
        try {
          changes = JSON.parse(args.switches);
        } catch {
          throw badUserInput('switches', 'not JSON');
        }
        if (!changes || typeof changes !== 'object' || Array.isArray(changes)) throw badUserInput('switches', 'a JSON object of switch names and values');
        let switches: object;
        try {
          switches = await sim.setSwitches(changes as Record<string, unknown>);
        } catch (err) {
          throw badUserInput('switches', (err as Error).message);
        }
        return { result: { system: args.system, url: sim.url, switches: JSON.stringify(switches) }, detail: { switches } };
      }),
  },
  Connector: {
    lastRun: async (d: { id: string }, _a, ctx) => (await listRuns(exchangeOf(ctx).pool, d.id, 1, null))[0] ?? null,
  },
  SyncRunConnection: {
    totalCount: (c: { totalCount?: number | (() => Promise<number>) }) => (typeof c.totalCount === 'function' ? c.totalCount() : c.totalCount),
  },
};

export type { SyncRunRow };
