/**
 * Seed throughput: a synthetic city of BENCH_PERSONS persons (default 1,000,000) generated and
 * bulk-loaded with COPY into an empty database, indexes built after loading.
 *
 *   npx tsx bench/seed.ts
 *   BENCH_PERSONS=200000 npx tsx bench/seed.ts
 */
import { seedCity } from '../src/simulate/index.js';
import { benchDatabase, fmt } from './support.js';

const PERSONS = Number(process.env.BENCH_PERSONS ?? 1_000_000);

const bench = await benchDatabase('huitong_bench_seed');
try {
  const started = Date.now();
  const counts = await seedCity(bench.db.pool, {
    persons: PERSONS,
    progress: (written, total) => process.stderr.write(`\r${fmt(written)} / ${fmt(total)} persons, ${fmt(written / ((Date.now() - started) / 1000))}/s   `),
  });
  const seconds = (Date.now() - started) / 1000;
  const { rows } = await bench.db.pool.query<{ size: string }>(`select pg_size_pretty(pg_database_size(current_database())) as size`);
  process.stdout.write(
    `\nseeded ${fmt(counts.persons)} persons in ${seconds.toFixed(1)} s (${(seconds / 60).toFixed(2)} min): ${fmt(counts.persons / seconds)} persons/s\n` +
      `${JSON.stringify(counts)}\ndatabase size ${rows[0].size}\n`,
  );
} finally {
  await bench.close();
}
