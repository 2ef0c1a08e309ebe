import type { Plugin } from 'graphql-yoga';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { HubContext } from '../context.js';
import { HubError } from '../errors.js';

/**
 * Requests per minute per department system (`department/system` from its verified token), counted
 * as soon as the request's context is built: before execution, so no response cache answers a
 * caller past its limit. Counts are per hub instance.
 */
export function useRateLimit(perMinute: number): Plugin<HubContext> {
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  return {
    onContextBuilding: () => async ({ context }) => {
      const principal = context.access?.principal;
      if (!principal) return;
      try {
        await limiter.consume(`${principal.department}/${principal.system}`);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const retryAfter = Math.ceil(err.msBeforeNext / 1000);
        throw new HubError('RATE_LIMITED', `More than ${perMinute} requests a minute; retry in ${retryAfter} s.`, {
          retryAfter,
          http: { status: 429, headers: { 'retry-after': String(retryAfter) } },
        });
      }
    },
  };
}
