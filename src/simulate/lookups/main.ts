/**
 * The financial-institutions lookup simulator as a process of its own, so that a benchmark's hub
 * does not share its event loop: `tsx src/simulate/lookups/main.ts` prints one JSON line with its
 * URL, then serves until stopped. Port and switches from the environment (see server.ts).
 */
import { startLookupSimulator, switchesFromEnv } from './server.js';

const sim = await startLookupSimulator({ port: Number(process.env.HUITONG_SIM_LOOKUP_PORT ?? 0), ...switchesFromEnv() });
process.stdout.write(`${JSON.stringify({ url: sim.url, switches: sim.switches })}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
