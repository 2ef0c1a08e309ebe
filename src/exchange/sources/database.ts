import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { expand, type DatabaseSource } from '../definition.js';
import { SourceFailed, type Page, type Position, type Source, type SourceContext } from './types.js';

const ident = (name: string) => name.split('.').map((p) => pg.Client.prototype.escapeIdentifier(p)).join('.');

/**
 * A department's front-end exchange database (前置库): a PostgreSQL table read incrementally by
 * (change timestamp, key), keyset-style: `where (changed, key) > (last committed) order by changed,
 * key limit n`, so rows sharing one timestamp are never skipped and none is read twice. The
 * timestamp travels as PostgreSQL's own text, so no precision is lost on the way.
 */
export function databaseSource(ctx: SourceContext): Source {
  const { definition, env, logger, signal } = ctx;
  const spec = definition.source as DatabaseSource;
  if (!definition.watermark) throw new SourceFailed(`${definition.id}: a database connector needs a watermark column`);
  const retries = spec.retries ?? 3;
  const backoff = spec.backoffMs ?? 200;
  const url = expand(spec.url, env, definition.id);
  const wm = ident(definition.watermark);
  // The key compared as text: the position keeps it as text, whatever the column's type.
  const keyText = definition.key.map((k) => `${ident(k)}::text`);
  const keyExpr = keyText.length === 1 ? keyText[0] : `concat_ws('|', ${keyText.join(', ')})`;
  const table = ident(spec.table);
  let client: pg.Client | null = null;

  const drop = async () => {
    const c = client;
    client = null;
    await c?.end().catch(() => {});
  };
  /**
   * One read, retried on a new connection with exponential backoff and jitter: the front-end
   * database restarting, the role's sessions cut, a table briefly out of reach. The position
   * read from is the caller's, so a retried read neither skips nor repeats a row.
   */
  async function read(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (signal.aborted) throw new SourceFailed('run stopped');
      try {
        if (!client) {
          const c = new pg.Client({ connectionString: url, statement_timeout: spec.timeoutMs ?? 60_000 });
          // A session cut while idle is an error event on the client: dropped here, seen at the next read.
          c.on('error', () => {});
          await c.connect().catch(async (err: Error) => {
            await c.end().catch(() => {});
            throw Object.assign(err, { unreachable: true });
          });
          client = c;
        }
        return (await client.query(sql, params)).rows;
      } catch (err) {
        lastError = (err as { unreachable?: boolean }).unreachable ? `front-end database unreachable: ${(err as Error).message}` : `reading ${spec.table} failed: ${(err as Error).message}`;
        await drop();
      }
      if (attempt < retries) {
        const wait = backoff * 2 ** attempt * (0.5 + Math.random());
        logger.warn({ connector: definition.id, attempt: attempt + 1, waitMs: Math.round(wait), error: lastError }, 'front-end database read failed; retrying');
        await sleep(wait, undefined, { signal }).catch(() => {});
      }
    }
    throw new SourceFailed(`${definition.id}: ${lastError} (after ${retries + 1} attempts)`);
  }

  return {
    async *pages(from: Position | null): AsyncIterable<Page> {
      let after = from && 'ts' in from ? from : null;
      for (;;) {
        const params: unknown[] = [ctx.batchSize];
        const where = after ? `where (${wm}, ${keyExpr}) > ($2::timestamptz, $3::text)` : '';
        if (after) params.push(after.ts, after.key);
        const rows = await read(`select t.*, ${wm}::text as "__watermark", ${keyExpr} as "__key" from ${table} t ${where} order by ${wm}, ${keyExpr} limit $1`, params);
        if (!rows.length) return;
        const last = rows.at(-1)!;
        const position = { ts: String(last.__watermark), key: String(last.__key) };
        const records = rows.map(({ __watermark, __key, ...r }) => ({ ...r, [definition.watermark!]: __watermark }));
        yield { records, position };
        if (rows.length < ctx.batchSize) return;
        after = position;
      }
    },
    async close() {
      await drop();
    },
  };
}
