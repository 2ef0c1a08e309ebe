import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FinancialAnswer, FinancialAssets } from './sources.js';

/**
 * A simulated financial institutions' gateway (金融机构 via the financial regulator): a real HTTP
 * server answering `POST /assets` with deposits, wealth products and securities per ID number.
 * Switches: latency, down (503 for every request), and institutions that are down for the persons
 * who bank with them (503 when a request names one). Serves the demo, tests and the benchmark.
 */
export interface FinancialSimulator {
  url: string;
  /** Sets a person's holdings (others get `fallback`). */
  set(idNumber: string, assets: FinancialAssets): void;
  /** The person banks with an institution that is not answering: requests naming them get 503. */
  unreachableFor(idNumber: string): void;
  setDown(down: boolean): void;
  setLatency(ms: number): void;
  /** Requests answered so far. */
  readonly requests: number;
  close(): Promise<void>;
}

export interface FinancialSimulatorOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  /** Holdings of persons not set: zeros unless given, e.g. a deterministic small balance. (Default: zeros) */
  fallback?: (idNumber: string) => FinancialAssets;
}

const ZERO: FinancialAssets = { deposits: 0, wealthProducts: 0, securities: 0 };

/** A small deterministic balance from the ID number, for the demo city (0–4,999 yuan of deposits). */
export const smallDeposits = (id: string): FinancialAssets => ({ deposits: createHash('sha256').update(id).digest().readUInt16BE(0) % 5000, wealthProducts: 0, securities: 0 });

export async function startFinancialSimulator(options: FinancialSimulatorOptions = {}): Promise<FinancialSimulator> {
  const holdings = new Map<string, FinancialAssets>();
  const unreachable = new Set<string>();
  let down = false;
  let latency = options.latencyMs ?? 0;
  let requests = 0;
  const fallback = options.fallback ?? (() => ZERO);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = () => {
        requests++;
        if (req.method !== 'POST' || req.url !== '/assets') return void res.writeHead(404).end();
        if (down) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"gateway down"}');
        let body: { idNumbers?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return void res.writeHead(400).end();
        }
        const ids = Array.isArray(body.idNumbers) ? body.idNumbers.filter((i): i is string => typeof i === 'string') : [];
        if (ids.some((id) => unreachable.has(id))) {
          return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"an institution did not answer"}');
        }
        const out: FinancialAnswer = {
          asOf: new Date().toISOString(),
          version: 'fin-gateway/1',
          system: 'financial-institutions/regulator-gateway',
          holdings: Object.fromEntries(ids.map((id) => [id, holdings.get(id) ?? fallback(id)])),
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      };
      if (latency > 0) setTimeout(answer, latency);
      else answer();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (id, assets) => void holdings.set(id, assets),
    unreachableFor: (id) => void unreachable.add(id),
    setDown: (d) => void (down = d),
    setLatency: (ms) => void (latency = ms),
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
