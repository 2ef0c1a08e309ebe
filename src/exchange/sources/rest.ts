import { setTimeout as sleep } from 'node:timers/promises';
import { expand, type RestSource } from '../definition.js';
import { sourceKeyOf, type RawRecord } from '../mapping.js';
import { comparePositions, SourceFailed, type Page, type Position, type Source, type SourceContext } from './types.js';

const DEFAULTS = { timeoutMs: 10_000, retries: 5, backoffMs: 200 };

const at = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined), value);

/** Seconds or an HTTP date, as Retry-After allows; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const when = Date.parse(header);
  return Number.isNaN(when) ? null : Math.max(0, when - now);
}

/**
 * Paged JSON over HTTP. Each request has a timeout; timeouts, network errors, 5xx and 429 are
 * retried with exponential backoff and jitter (a 429's Retry-After is honoured), other 4xx fail at
 * once. Pages come in (watermark, key) order; an incremental source is asked only for records after
 * the committed position, so a resumed run neither skips nor repeats what committed.
 */
export function restSource(ctx: SourceContext): Source {
  const { definition, env, logger, signal } = ctx;
  const spec = definition.source as RestSource;
  const retries = spec.retries ?? DEFAULTS.retries;
  const backoff = spec.backoffMs ?? DEFAULTS.backoffMs;
  const timeoutMs = spec.timeoutMs ?? DEFAULTS.timeoutMs;
  const pageSize = spec.pageSize ?? ctx.batchSize;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (spec.auth && 'bearer' in spec.auth) headers.authorization = `Bearer ${expand(`\${${spec.auth.bearer}}`, env, definition.id)}`;
  if (spec.auth && 'apiKey' in spec.auth) headers[spec.auth.apiKey.header.toLowerCase()] = expand(`\${${spec.auth.apiKey.env}}`, env, definition.id);
  const base = expand(spec.url, env, definition.id);

  async function get(url: URL): Promise<unknown> {
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (signal.aborted) throw new SourceFailed('run stopped');
      let wait = backoff * 2 ** attempt * (0.5 + Math.random());
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
        if (res.ok) {
          const text = await res.text();
          try {
            return JSON.parse(text);
          } catch {
            lastError = `page is not JSON (${text.slice(0, 60)}…)`;
          }
        } else {
          await res.body?.cancel();
          lastError = `HTTP ${res.status}`;
          if (res.status === 429) wait = retryAfterMs(res.headers.get('retry-after')) ?? wait;
          else if (res.status < 500) throw new SourceFailed(`${definition.id}: ${url.pathname} answered HTTP ${res.status}, not retried`);
        }
      } catch (err) {
        if (err instanceof SourceFailed) throw err;
        lastError = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error).message;
      }
      if (attempt < retries) {
        logger.warn({ connector: definition.id, attempt: attempt + 1, waitMs: Math.round(wait), error: lastError }, 'source request failed; retrying');
        await sleep(wait, undefined, { signal }).catch(() => {});
      }
    }
    throw new SourceFailed(`${definition.id}: ${lastError} after ${retries + 1} attempts`);
  }

  return {
    async *pages(from: Position | null): AsyncIterable<Page> {
      const since = from && 'ts' in from ? from : null;
      let cursor: string | null = null;
      let offset = 0;
      for (;;) {
        const url = new URL(base);
        const limitParam = spec.paging.limitParam ?? 'limit';
        url.searchParams.set(limitParam, String(pageSize));
        if (spec.incremental && since) {
          url.searchParams.set(spec.incremental.since, since.ts);
          if (spec.incremental.sinceKey) url.searchParams.set(spec.incremental.sinceKey, since.key);
        }
        if ('cursor' in spec.paging) {
          if (cursor) url.searchParams.set(spec.paging.param ?? 'cursor', cursor);
        } else url.searchParams.set(spec.paging.offset, String(offset));
        const body = await get(url);
        const list = at(body, spec.records);
        if (!Array.isArray(list)) throw new SourceFailed(`${definition.id}: the page has no array at "${spec.records}"`);
        const records: RawRecord[] = [];
        const unparsed: { payload: unknown; error: string }[] = [];
        let position: { ts: string; key: string } | null = null;
        // Offsets count the source's records: a record served twice in a page is one.
        const distinct = new Set<string>();
        let keyless = 0;
        for (const item of list) {
          if (!item || typeof item !== 'object' || Array.isArray(item)) {
            unparsed.push({ payload: item, error: 'not a JSON object' });
            continue;
          }
          const raw = item as RawRecord;
          records.push(raw);
          const ts = definition.watermark ? raw[definition.watermark] : undefined;
          const key = sourceKeyOf(raw, definition.key);
          if ('key' in key) distinct.add(key.key);
          else keyless++;
          if (typeof ts === 'string' && 'key' in key) {
            const p = { ts, key: key.key };
            if (!position || comparePositions(p, position) > 0) position = p;
          }
        }
        const next = 'cursor' in spec.paging ? at(body, spec.paging.cursor) : null;
        const consumed = distinct.size + keyless + unparsed.length;
        const last = 'cursor' in spec.paging ? !next : consumed < pageSize;
        if (list.length) yield { records, unparsed, position };
        if (last || !list.length) return;
        cursor = typeof next === 'string' ? next : String(next);
        offset += consumed;
      }
    },
    async close() {},
  };
}
