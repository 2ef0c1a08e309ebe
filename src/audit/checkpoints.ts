import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { HUB_KEY_ALG, type HubKey, type HubKeys } from './hub-key.js';

/** What a checkpoint attests: the chain's head at `seq` had `hash`. */
export interface CheckpointClaim {
  seq: number;
  hash: string;
  at: string;
}

export const CHECKPOINT_TYPE = 'huitong-audit-checkpoint';

export async function signCheckpoint(key: HubKey, claim: CheckpointClaim): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claim)))
    .setProtectedHeader({ alg: HUB_KEY_ALG, kid: key.kid, typ: CHECKPOINT_TYPE })
    .sign(key.privateKey);
}

export type CheckpointReading = { ok: true; claim: CheckpointClaim; kid: string } | { ok: false; kid: string | null; why: 'unknown-key' | 'bad-signature' | 'malformed' };

/**
 * The claim a checkpoint's JWS carries, verified with the key its `kid` names (current or retired),
 * so a chain signed by several keys over its life verifies whole. A JWS without a `kid` (none were
 * written so) is tried against every key.
 */
export async function readCheckpoint(keys: HubKeys, jws: string): Promise<CheckpointReading> {
  let kid: string | null;
  try {
    const header = decodeProtectedHeader(jws);
    kid = typeof header.kid === 'string' ? header.kid : null;
  } catch {
    return { ok: false, kid: null, why: 'malformed' };
  }
  const candidates = kid === null ? keys.all : [keys.byKid(kid)].filter((k) => k !== null);
  if (!candidates.length) return { ok: false, kid, why: 'unknown-key' };
  for (const key of candidates) {
    try {
      const { payload } = await compactVerify(jws, key.publicKey, { algorithms: [HUB_KEY_ALG] });
      return { ok: true, claim: JSON.parse(new TextDecoder().decode(payload)) as CheckpointClaim, kid: key.kid };
    } catch {
      // next candidate
    }
  }
  return { ok: false, kid, why: 'bad-signature' };
}
