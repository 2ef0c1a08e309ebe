/**
 * Connector ingest: `INGEST_N` records (default 1,000,000) from the simulated `rest` tax system
 * (in its own process) through paging, mapping, the record schema and the batched versioned
 * upsert into `department_record`, with the watermark and run counts in each batch's
 * transaction. In the same run: the same rows loaded by bare COPY into a table of the same shape
 * and indexes, and a re-sync (`--full`) of the unchanged records. Peak RSS of this process (the
 * hub) is sampled during the ingest, at every tenth of it, to show whether it grows.
 *
 *   npm run bench:ingest                 # 1,000,000 records
 *   INGEST_N=50000 npm run bench:ingest  # a quick check
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { loadDefinitions, mapRecord, runConnector } from '../src/exchange/index.js';
import { createLogger } from '../src/log.js';
import { datasetContext, datasetSpec } from '../src/simulate/departments/index.js';
import { benchDatabase } from './support.js';

const N = Number(process.env.INGEST_N ?? 1_000_000);
const BATCH = Number(process.env.INGEST_BATCH ?? 5000);
const logger = createLogger('warn');
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

const bench = await benchDatabase('bench_ingest');
const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'ingest-simulator.ts')], {
  env: { ...process.env, INGEST_N: String(N), DATABASE_URL: bench.url },
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
  });
  const definition = { ...loadDefinitions().find((d) => d.id === 'tax-income')!, batchSize: BATCH };
  const env = { HUITONG_TAX_API_URL: url, HUITONG_TAX_API_TOKEN: 'bench' };

  // Peak RSS, and RSS at each tenth of the records: flat means it does not grow with N.
  let peak = process.memoryUsage.rss();
  const marks: number[] = [];
  const rates: number[] = [];
  let lastMark = Date.now();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  const started = Date.now();
  const ingest = await runConnector(bench.db.pool, logger, definition, {
    startedBy: 'bench',
    env,
    progress: (c) => {
      peak = Math.max(peak, process.memoryUsage.rss());
      while (c.fetched >= ((marks.length + 1) * N) / 10) {
        marks.push(mb(process.memoryUsage.rss()));
        const now = Date.now();
        rates.push(Math.round(N / 10 / Math.max(0.001, (now - lastMark) / 1000)));
        lastMark = now;
      }
      if (process.stderr.isTTY) process.stderr.write(`\ringest ${c.fetched.toLocaleString('en')} / ${N.toLocaleString('en')}   `);
    },
  });
  const ingestSeconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  if (ingest.state !== 'succeeded') throw new Error(`ingest ${ingest.state}: ${'error' in ingest ? ingest.error : ''}`);
  if (ingest.counts.fetched !== N || ingest.counts.applied !== N) throw new Error(`ingest counts ${JSON.stringify(ingest.counts)}`);
  const ingestRate = N / ingestSeconds;

  // Re-sync of the same, unchanged records: each is compared, none rewritten.
  const resyncStarted = Date.now();
  const resync = await runConnector(bench.db.pool, logger, definition, { startedBy: 'bench', env, full: true });
  const resyncSeconds = (Date.now() - resyncStarted) / 1000;
  if (resync.state !== 'succeeded' || resync.counts.unchanged !== N) throw new Error(`re-sync ${JSON.stringify(resync)}`);

  // Bare COPY of the same mapped rows into a table of the same shape and indexes.
  const ctx = datasetContext((await bench.db.pool.query(`select code, left(code, 6) as "countyCode" from division where level = 'village' and code like '4311%' order by code`)).rows);
  const spec = datasetSpec('tax-income');
  await bench.db.pool.query('create table copy_baseline (like department_record including all)');
  const escape = (s: string) => s.replace(/[\\\t\n\r]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\\\'));
  const fetchedAt = new Date().toISOString();
  function* lines() {
    for (let i = 0; i < N; i++) {
      const raw = spec.record(i, ctx);
      const mapped = mapRecord(raw, definition.mapping!);
      if (!mapped.ok) throw new Error('baseline mapping failed');
      const key = `${raw.nsrsbh}|${raw.ssq}|${raw.sdxm}`;
      yield `tax.income\t${key}\t${raw.nsrsbh}\t${escape(JSON.stringify(mapped.record))}\ttax/income-tax\t${key}\t1\t${fetchedAt}\n`;
    }
  }
  const client = await bench.db.pool.connect();
  const copyStarted = Date.now();
  try {
    await pipeline(
      Readable.from(lines()),
      client.query(copyFrom('copy copy_baseline (resource_code, record_key, subject, payload, source_system, source_key, resource_version, fetched_at) from stdin')),
    );
  } finally {
    client.release();
  }
  const copyRate = N / ((Date.now() - copyStarted) / 1000);

  process.stdout.write(`\nrecords: ${N.toLocaleString('en')}, batch ${BATCH}, ingest ${ingestSeconds.toFixed(1)} s\n`);
  process.stdout.write(`RSS at each tenth of the ingest (MB): ${marks.join(', ')}\n`);
  process.stdout.write(`records/s in each tenth of the ingest: ${rates.join(', ')}\n`);
  process.stdout.write(`re-sync of unchanged records: ${Math.round(N / resyncSeconds).toLocaleString('en')} records/s (${resyncSeconds.toFixed(1)} s)\n`);
  process.stdout.write(`ingest: ${Math.round(ingestRate)} records/s, COPY ${Math.round(copyRate)} rows/s, ratio ${(ingestRate / copyRate).toFixed(2)}, peak RSS ${mb(peak)} MB\n`);
} finally {
  child.kill('SIGTERM');
  await bench.close();
}
