import type pg from 'pg';
import type { Plugin } from 'graphql-yoga';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { HubContext } from '../context.js';
import { HubError } from '../errors.js';

export interface RateLimitOptions {
  /** `memory`: counts per hub instance; `postgres`: one count shared by every instance on the database (table `rate_limit`). (Default: memory) */
  store?: 'memory' | 'postgres';
  /** The hub's pool, for the `postgres` store. */
  pool?: pg.Pool;
  /** Told of each refusal (the `/metrics` counter). */
  onRefused?: (department: string) => void;
}

/**
 * Requests per minute per department system (`department/system` from its verified token), counted
 * as soon as the request's context is built: before execution, so no response cache answers a
 * caller past its limit. With the `postgres` store every instance counts against one limit (one
 * upsert per request); if the database cannot count, each instance falls back to counting on its
 * own (the insurance limiter) rather than refusing everyone or no one.
 */
export function useRateLimit(perMinute: number, options: RateLimitOptions = {}): Plugin<HubContext> {
  const memory = new RateLimiterMemory({ points: perMinute, duration: 60 });
  const limiter: RateLimiterAbstract =
    options.store === 'postgres' && options.pool
      ? new RateLimiterPostgres({
          storeClient: options.pool,
          storeType: 'pool',
          tableName: 'rate_limit',
          tableCreated: true, // by migration: the runtime role may not create tables
          keyPrefix: 'graphql',
          points: perMinute,
          duration: 60,
          clearExpiredByTimeout: true,
          insuranceLimiter: memory,
        })
      : memory;
  return {
    onContextBuilding: () => async ({ context }) => {
      const principal = context.access?.principal;
      if (!principal) return;
      try {
        await limiter.consume(`${principal.department}/${principal.system}`);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        options.onRefused?.(principal.department);
        const retryAfter = Math.ceil(err.msBeforeNext / 1000);
        throw new HubError('RATE_LIMITED', `More than ${perMinute} requests a minute; retry in ${retryAfter} s.`, {
          retryAfter,
          http: { status: 429, headers: { 'retry-after': String(retryAfter) } },
        });
      }
    },
  };
}
