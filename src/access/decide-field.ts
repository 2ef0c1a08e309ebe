import type { DisplayMask } from './mask.js';

export type SharingType = 'unconditional' | 'conditional' | 'none';
export type Sensitivity = 'public' | 'internal' | 'personal' | 'sensitive';

/** What the policy needs to know of a catalogue resource: who provides it, how it is shared, its items. */
export interface ResourcePolicy {
  code: string;
  provider: string;
  sharing: SharingType;
  items: ReadonlyMap<string, { sensitivity: Sensitivity; mask?: DisplayMask | 'withhold' }>;
}

/** A live or past grant of fields of one resource to one consumer department for one purpose. */
export interface Grant {
  id: string;
  resource: string;
  consumer: string;
  purpose: string;
  fields: Readonly<Record<string, 'clear' | 'masked'>>;
  /** First and last day of validity (`YYYY-MM-DD`, hub time). */
  validFrom: string;
  validUntil: string;
  revoked: boolean;
}

export type WithholdReason =
  | 'not-catalogued'
  | 'not-shared'
  | 'no-grant'
  | 'purpose-not-covered'
  | 'field-not-granted'
  | 'sensitive';

export type FieldDecision =
  | { effect: 'allow' }
  | { effect: 'mask'; rule: DisplayMask }
  | { effect: 'withhold'; reason: WithholdReason };

export interface FieldQuestion {
  department: string;
  purpose: string;
  field: string;
  /** The resource as catalogued; `undefined` when it is not (or no longer) in the catalogue. */
  resource: ResourcePolicy | undefined;
  /** The asking department's grants on this resource (any state: the policy checks). */
  grants: readonly Grant[];
  /** Today in hub time, `YYYY-MM-DD`. */
  today: string;
}

const ALLOW: FieldDecision = { effect: 'allow' };

/**
 * The access policy for one field value, as a decision the caller turns into a value:
 * the provider sees its own data; `none` is shared with nobody; `unconditional` with every
 * department that states a purpose; `conditional` needs a live grant for the purpose covering the
 * field. A field without a clear grant is shown masked when its item has a display mask (a
 * sensitive item, PIPL art. 28, only under a grant at level `masked`), else withheld; public
 * items need no grant.
 */
export function decideField(q: FieldQuestion): FieldDecision {
  const { resource } = q;
  if (!resource) return { effect: 'withhold', reason: 'not-catalogued' };
  if (resource.provider === q.department) return ALLOW;
  if (resource.sharing === 'none') return { effect: 'withhold', reason: 'not-shared' };
  const item = resource.items.get(q.field);
  if (!item) return { effect: 'withhold', reason: 'not-catalogued' };
  if (resource.sharing === 'unconditional' || item.sensitivity === 'public') return ALLOW;

  const live = q.grants.filter((g) => g.resource === resource.code && !g.revoked && g.validFrom <= q.today && q.today <= g.validUntil);
  const served = live.filter((g) => g.purpose === q.purpose);
  const levels = served.map((g) => g.fields[q.field]);
  if (levels.includes('clear')) return ALLOW;
  const display = item.mask && item.mask !== 'withhold' ? item.mask : null;
  if (display && (levels.includes('masked') || item.sensitivity !== 'sensitive')) return { effect: 'mask', rule: display };
  if (item.sensitivity === 'sensitive') return { effect: 'withhold', reason: 'sensitive' };
  if (live.length === 0) return { effect: 'withhold', reason: 'no-grant' };
  if (served.length === 0) return { effect: 'withhold', reason: 'purpose-not-covered' };
  return { effect: 'withhold', reason: 'field-not-granted' };
}
