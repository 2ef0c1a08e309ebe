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
  const { definition, env } = ctx;
  const spec = definition.source as DatabaseSource;
  if (!definition.watermark) throw new SourceFailed(`${definition.id}: a database connector needs a watermark column`);
  const client = new pg.Client({ connectionString: expand(spec.url, env, definition.id), statement_timeout: spec.timeoutMs ?? 60_000 });
  let connected: Promise<void> | null = null;
  const wm = ident(definition.watermark);
  // The key compared as text: the position keeps it as text, whatever the column's type.
  const keyText = definition.key.map((k) => `${ident(k)}::text`);
  const keyExpr = keyText.length === 1 ? keyText[0] : `concat_ws('|', ${keyText.join(', ')})`;
  const table = ident(spec.table);

  return {
    async *pages(from: Position | null): AsyncIterable<Page> {
      try {
        connected ??= client.connect();
        await connected;
      } catch (err) {
        throw new SourceFailed(`${definition.id}: front-end database unreachable: ${(err as Error).message}`);
      }
      let after = from && 'ts' in from ? from : null;
      for (;;) {
        const params: unknown[] = [ctx.batchSize];
        const where = after ? `where (${wm}, ${keyExpr}) > ($2::timestamptz, $3::text)` : '';
        if (after) params.push(after.ts, after.key);
        let rows: Record<string, unknown>[];
        try {
          ({ rows } = await client.query(
            `select t.*, ${wm}::text as "__watermark", ${keyExpr} as "__key" from ${table} t ${where} order by ${wm}, ${keyExpr} limit $1`,
            params,
          ));
        } catch (err) {
          throw new SourceFailed(`${definition.id}: reading ${spec.table} failed: ${(err as Error).message}`);
        }
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
      if (connected) await client.end().catch(() => {});
    },
  };
}
