import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where `serve` leaves the simulated systems' URLs and development tokens, so that `huitong sync` in another shell reaches them. */
export const simulatorEnvFile = (dataDir: string) => path.join(dataDir, 'simulators.env.json');

export async function writeSimulatorEnv(dataDir: string, env: Record<string, string>): Promise<void> {
  await writeFile(simulatorEnvFile(dataDir), `${JSON.stringify(env, null, 2)}\n`, { mode: 0o600 });
}
