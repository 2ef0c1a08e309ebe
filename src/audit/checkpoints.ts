import { CompactSign, compactVerify } from 'jose';
import { HUB_KEY_ALG, type HubKey } from './hub-key.js';

/** What a checkpoint attests: the chain's head at `seq` had `hash`. */
export interface CheckpointClaim {
  seq: number;
  hash: string;
  at: string;
}

export async function signCheckpoint(key: HubKey, claim: CheckpointClaim): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claim)))
    .setProtectedHeader({ alg: HUB_KEY_ALG, kid: key.kid, typ: 'huitong-audit-checkpoint' })
    .sign(key.privateKey);
}

/** The claim a checkpoint's JWS carries, or null when the signature is not the hub's. */
export async function readCheckpoint(key: HubKey, jws: string): Promise<CheckpointClaim | null> {
  try {
    const { payload } = await compactVerify(jws, key.publicKey, { algorithms: [HUB_KEY_ALG] });
    return JSON.parse(new TextDecoder().decode(payload)) as CheckpointClaim;
  } catch {
    return null;
  }
}
