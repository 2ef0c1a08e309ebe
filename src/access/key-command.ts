import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openDatabase } from '../main.js';
import { ACCEPTED_ALGORITHMS, type AcceptedAlgorithm } from './algorithms.js';
import { registerSystemKey } from './keys.js';

/**
 * `huitong key register`: a department system's public key, so it can sign its own tokens.
 * Imported by the CLI directly, not through `index.ts`: it opens the database through `main.ts`.
 */
export const keyCommand = {
  summary: 'register a department system’s public key (tokens it signs: iss = sub = the system id)',
  usage: 'huitong key register --dept CODE --system ID --kid KID --alg RS256|ES256|EdDSA --jwk FILE',
  async run(args: string[], config: Config, logger: Logger): Promise<void> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { dept: { type: 'string' }, system: { type: 'string' }, kid: { type: 'string' }, alg: { type: 'string' }, jwk: { type: 'string' } },
    });
    if (positionals[0] !== 'register') throw new Error('the only subcommand is: register');
    const { dept, system, kid, alg, jwk } = values;
    if (!dept || !system || !kid || !alg || !jwk) throw new Error('--dept, --system, --kid, --alg and --jwk are all required');
    if (!(ACCEPTED_ALGORITHMS as readonly string[]).includes(alg)) throw new Error(`--alg ${alg}: not one of ${ACCEPTED_ALGORITHMS.join(', ')}`);
    let publicJwk: JWK;
    try {
      publicJwk = JSON.parse(await readFile(jwk, 'utf8'));
    } catch (err) {
      throw new Error(`--jwk ${jwk}: not a readable JSON file (${(err as Error).message})`);
    }
    const opened = await openDatabase(config, logger);
    try {
      await registerSystemKey(opened.db.pool, { kid, department: dept, system, alg: alg as AcceptedAlgorithm, publicJwk });
      process.stdout.write(`registered key ${kid} for ${system} (${dept})\n`);
    } finally {
      await opened.close();
    }
  },
};
