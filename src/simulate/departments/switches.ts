/**
 * Faults a simulated department system can be told to show, at start (environment variables) or
 * at run time (the platform-admin mutation `setSimulatorSwitches`, or `POST /_switches`).
 */
export interface Switches {
  /** Added to every answer, in ms. `HUITONG_SIM_LATENCY_MS` (Default: 0) */
  latencyMs: number;
  /** Share of requests answered 500. `HUITONG_SIM_ERROR_RATE` (Default: 0) */
  errorRate: number;
  /** Share of requests answered 429 with Retry-After. `HUITONG_SIM_RATE_LIMIT_RATE` (Default: 0) */
  rateLimitRate: number;
  /** Retry-After of those 429s, in seconds. `HUITONG_SIM_RETRY_AFTER_S` (Default: 1) */
  retryAfterSeconds: number;
  /** Share of records served spoiled (the same records every time). `HUITONG_SIM_MALFORMED_RATE` (Default: 0) */
  malformedRate: number;
  /** Share of records served twice in their page. `HUITONG_SIM_DUPLICATE_RATE` (Default: 0) */
  duplicateRate: number;
  /** Records of a page in shuffled order. `HUITONG_SIM_REORDER` (Default: false) */
  reorder: boolean;
  /** After this many requests, an outage of `outageRequests` requests (503). `HUITONG_SIM_OUTAGE_AFTER` (Default: 0, none) */
  outageAfter: number;
  /** `HUITONG_SIM_OUTAGE_REQUESTS` (Default: 3) */
  outageRequests: number;
  /** Down: every request answered 503 until switched back. `HUITONG_SIM_DOWN` (Default: false) */
  down: boolean;
  /** Share of answers delayed by `slowMs`. `HUITONG_SIM_SLOW_RATE` (Default: 0) */
  slowRate: number;
  /** `HUITONG_SIM_SLOW_MS` (Default: 5000) */
  slowMs: number;
}

export const DEFAULT_SWITCHES: Switches = {
  latencyMs: 0, errorRate: 0, rateLimitRate: 0, retryAfterSeconds: 1, malformedRate: 0, duplicateRate: 0, reorder: false,
  outageAfter: 0, outageRequests: 3, down: false, slowRate: 0, slowMs: 5000,
};

const ENV: Record<keyof Switches, string> = {
  latencyMs: 'HUITONG_SIM_LATENCY_MS', errorRate: 'HUITONG_SIM_ERROR_RATE', rateLimitRate: 'HUITONG_SIM_RATE_LIMIT_RATE',
  retryAfterSeconds: 'HUITONG_SIM_RETRY_AFTER_S', malformedRate: 'HUITONG_SIM_MALFORMED_RATE', duplicateRate: 'HUITONG_SIM_DUPLICATE_RATE',
  reorder: 'HUITONG_SIM_REORDER', outageAfter: 'HUITONG_SIM_OUTAGE_AFTER', outageRequests: 'HUITONG_SIM_OUTAGE_REQUESTS', down: 'HUITONG_SIM_DOWN',
  slowRate: 'HUITONG_SIM_SLOW_RATE', slowMs: 'HUITONG_SIM_SLOW_MS',
};

/** Switches from the environment; a value that does not parse is an error naming the variable. */
export function switchesFromEnv(env: Record<string, string | undefined> = process.env): Switches {
  const out: Switches = { ...DEFAULT_SWITCHES };
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(ENV) as [keyof Switches, string][]) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const problem = applySwitch(out, name, typeof DEFAULT_SWITCHES[name] === 'boolean' ? raw === 'true' || raw === '1' : Number(raw));
    if (problem) problems.push(`${variable}: ${problem}`);
  }
  if (problems.length) throw new Error(`Invalid simulator switches:\n- ${problems.join('\n- ')}`);
  return out;
}

/** Sets one switch, checked; returns what is wrong, or null. */
export function applySwitch(to: Switches, name: string, value: unknown): string | null {
  if (!(name in DEFAULT_SWITCHES)) return `unknown switch "${name}" (one of ${Object.keys(DEFAULT_SWITCHES).join(', ')})`;
  const key = name as keyof Switches;
  if (typeof DEFAULT_SWITCHES[key] === 'boolean') {
    if (typeof value !== 'boolean') return 'true or false';
    (to as unknown as Record<string, unknown>)[key] = value;
    return null;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return 'a number, 0 or more';
  if (key.endsWith('Rate') && value > 1) return 'a share between 0 and 1';
  (to as unknown as Record<string, unknown>)[key] = value;
  return null;
}
