import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { auditedChange, openCommandTrail } from '../catalog/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openDatabase } from '../main.js';
import { HubError } from '../server/errors.js';
import { ACCEPTED_ALGORITHMS, type AcceptedAlgorithm } from './algorithms.js';
import { ROLES, type Role } from './dev-issuer.js';
import { registerSystemKey, revokeSystemKey } from './keys.js';

const USAGE = [
  'huitong key register --dept CODE --system ID --kid KID --alg RS256|ES256|EdDSA --jwk FILE --roles ROLE[,ROLE] [--reason TEXT]',
  'huitong key revoke --kid KID --reason TEXT',
].join(' | ');

/** A refusal the audit trail records with its message (a plain Error would be recorded as internal). */
const refused = (err: unknown) => (err instanceof HubError ? err : new HubError('BAD_USER_INPUT', (err as Error).message));

/**
 * `huitong key register` and `huitong key revoke`: a department system's public key and the roles
 * its tokens may claim; each change is entered in the audit trail (refused attempts too) and
 * stands only once its entry is durable. Every hub instance picks it up at once (NOTIFY).
 * Imported by the CLI directly, not through `index.ts`: it opens the database through `main.ts`.
 */
export const keyCommand = {
  summary: 'register a department system’s public key and roles, or revoke a key (audited)',
  usage: USAGE,
  async run(args: string[], config: Config, logger: Logger): Promise<void> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        dept: { type: 'string' },
        system: { type: 'string' },
        kid: { type: 'string' },
        alg: { type: 'string' },
        jwk: { type: 'string' },
        roles: { type: 'string' },
        reason: { type: 'string' },
      },
    });
    const action = positionals[0];
    if (action !== 'register' && action !== 'revoke') throw new Error('the subcommands are: register, revoke');
    const { dept, system, kid, alg, jwk } = values;
    let publicJwk: JWK | null = null;
    let roles: Role[] = [];
    if (action === 'register') {
      if (!dept || !system || !kid || !alg || !jwk || !values.roles) throw new Error('--dept, --system, --kid, --alg, --jwk and --roles are all required');
      if (!(ACCEPTED_ALGORITHMS as readonly string[]).includes(alg)) throw new Error(`--alg ${alg}: not one of ${ACCEPTED_ALGORITHMS.join(', ')}`);
      roles = values.roles.split(',').map((r) => r.trim()).filter(Boolean) as Role[];
      const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (!roles.length || unknown.length) throw new Error(`--roles: ${unknown.join(', ') || 'none given'}; the roles are ${ROLES.join(', ')}`);
      try {
        publicJwk = JSON.parse(await readFile(jwk, 'utf8'));
      } catch (err) {
        throw new Error(`--jwk ${jwk}: not a readable JSON file (${(err as Error).message})`);
      }
    } else if (!kid || !values.reason?.trim()) {
      throw new Error('--kid and --reason are required');
    }
    const opened = await openDatabase(config, logger);
    const trail = await openCommandTrail(config, opened.db, 'key');
    try {
      if (action === 'register') {
        const reason = values.reason ?? `key register for ${system} (${dept})`;
        await auditedChange(opened.db.pool, trail.log, trail.actor, { action: 'key register', arguments: { dept, system, kid, alg, roles, jwk: publicJwk }, reason }, async (client) => {
          await registerSystemKey(client, { kid: kid!, department: dept!, system: system!, alg: alg as AcceptedAlgorithm, publicJwk: publicJwk!, roles }).catch((err) => {
            throw refused(err);
          });
          return { result: undefined };
        });
        process.stdout.write(`registered key ${kid} for ${system} (${dept}), roles ${roles.join(', ')}\n`);
      } else {
        const reason = values.reason!;
        const key = await auditedChange(opened.db.pool, trail.log, trail.actor, { action: 'key revoke', arguments: { kid }, reason }, async (client) => {
          const revoked = await revokeSystemKey(client, kid!, reason).catch((err) => {
            throw refused(err);
          });
          return { result: revoked, detail: revoked };
        });
        process.stdout.write(`revoked key ${kid} of ${key.system} (${key.department})\n`);
      }
    } catch (err) {
      if (err instanceof HubError) throw new Error(err.message);
      throw err;
    } finally {
      await trail.close();
      await opened.close();
    }
  },
};
