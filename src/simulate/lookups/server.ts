import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Prng } from '../prng.js';

/**
 * The financial institutions' lookup system as the hub reaches it through the financial regulator:
 * a real HTTP server answering deposits and securities per citizen ID number. The data never
 * leaves it in bulk; each answer is made up on the spot from the ID number (the same number always
 * gets the same accounts), so it agrees with whatever synthetic city the hub holds.
 *
 * Switches, at start (options or the environment variables below) and at run time
 * (`POST /switches` with the same JSON keys):
 * - `latencyMs` (HUITONG_SIM_LOOKUP_LATENCY_MS): added to every answer. (Default: 0)
 * - `errorRate` (HUITONG_SIM_LOOKUP_ERROR_RATE): share of answers that are HTTP 503, 0–1. (Default: 0)
 * - `down` (HUITONG_SIM_LOOKUP_DOWN): the source accepts connections but never answers. (Default: false)
 * - `malformedRate` (HUITONG_SIM_LOOKUP_MALFORMED_RATE): share of answers whose records break the
 *   resource's record schema (a balance as text, an account without its number), 0–1; fixed per
 *   (path, ID number), so that every ask of the same person agrees. (Default: 0)
 * - `unreachable` (HUITONG_SIM_LOOKUP_UNREACHABLE, ID numbers separated by commas): persons whose
 *   bank does not answer: asking about one of them gets HTTP 503. (Default: none)
 */
export interface LookupSwitches {
  latencyMs: number;
  errorRate: number;
  down: boolean;
  malformedRate: number;
  unreachable: string[];
}

/** A person's holdings in yuan, as `hold` sets them: one account per kind that is not zero. */
export interface Holdings {
  deposits?: number;
  wealthProducts?: number;
  securities?: number;
}

export interface LookupSimulator {
  url: string;
  switches: LookupSwitches;
  set(switches: Partial<LookupSwitches>): void;
  /** The same from untyped input (a platform-admin mutation): unknown or ill-typed switches are refused. */
  setSwitches(changes: Record<string, unknown>): LookupSwitches;
  /**
   * Sets the accounts of one person (tests, the demo's stories), replacing the generated ones.
   * `null` goes back to the generated accounts (or to none, when generation is off).
   */
  hold(idNumber: string, holdings: Holdings | null): void;
  /** Requests answered or left hanging, by path prefix (`deposits`, `securities`). */
  calls: { deposits: number; securities: number };
  close(): Promise<void>;
}

const BANKS = ['中国工商银行永州分行', '中国农业银行永州分行', '中国建设银行永州分行', '湖南农村信用社永州办事处', '中国邮政储蓄银行永州分行', '华融湘江银行永州分行'];
const BROKERS = ['湘财证券永州营业部', '方正证券永州营业部', '财信证券永州营业部'];
const ID = /^\d{17}[\dX]$/;

function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const money = (n: number) => Math.round(n * 100) / 100;

/** Deposit accounts (current, fixed-term, wealth products) of one person, the same for the same ID number. */
export function depositsOf(idNumber: string): Record<string, unknown>[] {
  const rng = new Prng(seedOf(`deposit:${idNumber}`));
  const count = rng.chance(0.12) ? 0 : rng.int(1, 3);
  return Array.from({ length: count }, (_, i) => {
    const kind = rng.pick(['current', 'current', 'fixed', 'wealth'] as const);
    const balance = money(kind === 'current' ? rng.next() * 30_000 : rng.next() * 120_000);
    return {
      accountNumber: `62${String(seedOf(`${idNumber}:${i}`) % 1e10).padStart(10, '0')}${i}`,
      idNumber,
      institution: rng.pick(BANKS),
      kind,
      balance,
      currency: 'CNY',
      asOf: '2026-11-30',
    };
  });
}

/** Securities accounts of one person; most people have none. */
export function securitiesOf(idNumber: string): Record<string, unknown>[] {
  const rng = new Prng(seedOf(`securities:${idNumber}`));
  if (!rng.chance(0.2)) return [];
  return [
    {
      accountNumber: `A${String(seedOf(`sec:${idNumber}`) % 1e9).padStart(9, '0')}`,
      idNumber,
      broker: rng.pick(BROKERS),
      marketValue: money(rng.next() * 200_000),
      currency: 'CNY',
      asOf: '2026-11-30',
    },
  ];
}

/** The accounts `hold` gives a person: one current deposit, one wealth product, one securities account, each only when not zero. */
export function accountsOf(idNumber: string, h: Holdings): { deposits: Record<string, unknown>[]; securities: Record<string, unknown>[] } {
  const asOf = new Date().toISOString().slice(0, 10);
  const deposits: Record<string, unknown>[] = [];
  if (h.deposits) deposits.push({ accountNumber: `62${String(seedOf(`held:${idNumber}`) % 1e10).padStart(10, '0')}0`, idNumber, institution: BANKS[0], kind: 'current', balance: money(h.deposits), currency: 'CNY', asOf });
  if (h.wealthProducts) deposits.push({ accountNumber: `62${String(seedOf(`held:${idNumber}`) % 1e10).padStart(10, '0')}1`, idNumber, institution: BANKS[1], kind: 'wealth', balance: money(h.wealthProducts), currency: 'CNY', asOf });
  const securities = h.securities
    ? [{ accountNumber: `A${String(seedOf(`held-sec:${idNumber}`) % 1e9).padStart(9, '0')}`, idNumber, broker: BROKERS[0], marketValue: money(h.securities), currency: 'CNY', asOf }]
    : [];
  return { deposits, securities };
}

/** A record spoiled the way a faulty source spoils it: the number as text, the account number gone. */
function malform(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  delete out.accountNumber;
  if ('balance' in out) out.balance = `${String(out.balance)} 元`;
  if ('marketValue' in out) out.marketValue = `${String(out.marketValue)} 元`;
  return out;
}

export function switchesFromEnv(env: Record<string, string | undefined> = process.env): Partial<LookupSwitches> {
  const out: Partial<LookupSwitches> = {};
  if (env.HUITONG_SIM_LOOKUP_LATENCY_MS) out.latencyMs = Number(env.HUITONG_SIM_LOOKUP_LATENCY_MS);
  if (env.HUITONG_SIM_LOOKUP_ERROR_RATE) out.errorRate = Number(env.HUITONG_SIM_LOOKUP_ERROR_RATE);
  if (env.HUITONG_SIM_LOOKUP_DOWN) out.down = ['1', 'true', 'yes', 'on'].includes(env.HUITONG_SIM_LOOKUP_DOWN.toLowerCase());
  if (env.HUITONG_SIM_LOOKUP_MALFORMED_RATE) out.malformedRate = Number(env.HUITONG_SIM_LOOKUP_MALFORMED_RATE);
  if (env.HUITONG_SIM_LOOKUP_UNREACHABLE) out.unreachable = env.HUITONG_SIM_LOOKUP_UNREACHABLE.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  return out;
}

function checked(s: Partial<LookupSwitches>): Partial<LookupSwitches> {
  const problems: string[] = [];
  if (s.latencyMs !== undefined && !(Number.isFinite(s.latencyMs) && s.latencyMs >= 0)) problems.push('latencyMs: a number of ms, at least 0');
  if (s.errorRate !== undefined && !(Number.isFinite(s.errorRate) && s.errorRate >= 0 && s.errorRate <= 1)) problems.push('errorRate: between 0 and 1');
  if (s.down !== undefined && typeof s.down !== 'boolean') problems.push('down: true or false');
  if (s.malformedRate !== undefined && !(Number.isFinite(s.malformedRate) && s.malformedRate >= 0 && s.malformedRate <= 1)) problems.push('malformedRate: between 0 and 1');
  if (s.unreachable !== undefined && !(Array.isArray(s.unreachable) && s.unreachable.every((i) => typeof i === 'string'))) problems.push('unreachable: a list of ID numbers');
  if (problems.length) throw new Error(`Invalid lookup simulator switches:\n- ${problems.join('\n- ')}`);
  return s;
}

/**
 * Starts the simulator on `port` (0: a free one). `generated: false` gives persons not set by
 * `hold` no accounts at all (tests that build their households by hand). (Default: generated)
 */
export async function startLookupSimulator(
  options: Partial<LookupSwitches> & { port?: number; host?: string; seed?: number; generated?: boolean } = {},
): Promise<LookupSimulator> {
  const { port = 0, host = '127.0.0.1', seed = 1, generated = true, ...initial } = options;
  const switches: LookupSwitches = { latencyMs: 0, errorRate: 0, down: false, malformedRate: 0, unreachable: [], ...checked(initial) };
  const held = new Map<string, ReturnType<typeof accountsOf>>();
  const recordsOf = (kind: 'deposits' | 'securities', id: string): Record<string, unknown>[] => {
    const h = held.get(id);
    if (h) return h[kind];
    if (!generated) return [];
    return kind === 'deposits' ? depositsOf(id) : securitiesOf(id);
  };
  const errors = new Prng(seed);
  const calls = { deposits: 0, securities: 0 };
  const sockets = new Set<Socket>();
  const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (req.method === 'POST' && url.pathname === '/switches') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        try {
          Object.assign(switches, checked(JSON.parse(body || '{}') as Partial<LookupSwitches>));
          json(res, 200, switches);
        } catch (err) {
          json(res, 400, { error: (err as Error).message });
        }
      });
      return;
    }
    if (url.pathname === '/healthz') return json(res, 200, { status: 'ok', switches });
    const m = /^\/(deposits|securities)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return json(res, 404, { error: 'not found' });
    const kind = m[1] as 'deposits' | 'securities';
    calls[kind]++;
    if (switches.down) return; // accepted, never answered: the caller's timeout decides
    const idNumber = decodeURIComponent(m[2]).trim().toUpperCase();
    const answer = () => {
      if (switches.errorRate > 0 && errors.next() < switches.errorRate) return json(res, 503, { error: 'temporarily unavailable' });
      if (!ID.test(idNumber)) return json(res, 400, { error: 'not a citizen ID number' });
      if (switches.unreachable.includes(idNumber)) return json(res, 503, { error: 'the institution holding this account did not answer' });
      const records = recordsOf(kind, idNumber);
      const spoilt = switches.malformedRate > 0 && records.length > 0 && seedOf(`malformed:${seed}:${kind}:${idNumber}`) / 2 ** 32 < switches.malformedRate;
      json(res, 200, { idNumber, records: spoilt ? records.map((r, i) => (i === 0 ? malform(r) : r)) : records });
    };
    if (switches.latencyMs > 0) setTimeout(answer, switches.latencyMs);
    else answer();
  };

  const server: Server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    switches,
    calls,
    set: (s) => Object.assign(switches, checked(s)),
    hold: (id, h) => {
      const key = id.trim().toUpperCase();
      if (h) held.set(key, accountsOf(key, h));
      else held.delete(key);
    },
    setSwitches: (changes) => {
      const unknown = Object.keys(changes).filter((k) => !(k in switches));
      if (unknown.length) throw new Error(`unknown switches: ${unknown.join(', ')}; the switches are: ${Object.keys(switches).join(', ')}`);
      return Object.assign(switches, checked(changes as Partial<LookupSwitches>));
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
