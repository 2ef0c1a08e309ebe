/**
 * A steady load of audited look-ups against a hub: `concurrency` callers, each sending its next
 * request as soon as its last is answered, until stopped. Counts what a caller would count.
 */
export interface LoadReport {
  /** Answered 200 with data and no errors. */
  ok: number;
  /** Answered, but not with data (any other status, or errors): failures. */
  failed: number;
  /** The connection was refused (the hub had stopped listening): never accepted, not failures. */
  refused: number;
  /** The connection was reset or closed while a request was on it: failures. */
  reset: number;
  codes: Record<string, number>;
  /** Distinct failure descriptions, for the test's message. */
  samples: string[];
}

const DIVISION = 'query Lookup($code: ID!) { division(code: $code) { code name } }';

export function startLoad(url: string, token: string, options: { concurrency?: number; query?: string; variables?: Record<string, unknown>; moveOnClose?: boolean } = {}) {
  const report: LoadReport = { ok: 0, failed: 0, refused: 0, reset: 0, codes: {}, samples: [] };
  let running = true;
  const sample = (s: string) => {
    if (report.samples.length < 10 && !report.samples.includes(s)) report.samples.push(s);
  };
  const body = JSON.stringify({ query: options.query ?? DIVISION, variables: options.variables ?? { code: '431103' } });
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    'x-purpose': 'statistical-analysis',
    'x-case-number': 'LOAD-1',
  };
  const caller = async () => {
    let gone = false;
    while (running && !gone) {
      try {
        const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
        // A hub that is going away says so (`Connection: close`): this caller moves elsewhere, as
        // a client with other upstreams, or a load balancer, does.
        if (res.headers.get('connection') === 'close' && (options.moveOnClose ?? true)) gone = true;
        const json = (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
        if (res.status === 200 && json.data && !json.errors) report.ok += 1;
        else {
          report.failed += 1;
          const code = json.errors?.[0]?.extensions?.code ?? String(res.status);
          report.codes[code] = (report.codes[code] ?? 0) + 1;
          sample(`${res.status} ${code}`);
        }
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        if (cause?.code === 'ECONNREFUSED') {
          report.refused += 1;
          // A refused connection means the hub has stopped listening: a caller would go elsewhere.
          await new Promise((r) => setTimeout(r, 20));
        } else {
          report.reset += 1;
          sample(`${cause?.code ?? ''} ${cause?.message ?? (err as Error).message}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  };
  const callers = Array.from({ length: options.concurrency ?? 20 }, caller);
  return {
    report,
    async stop(): Promise<LoadReport> {
      running = false;
      await Promise.all(callers);
      return report;
    },
  };
}
