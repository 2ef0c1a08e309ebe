import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { approveRequest, CATALOG_DIR, requestAccess, type FixtureTrail } from '../catalog/index.js';

export interface GrantDeclaration {
  consumer: string;
  resource: string;
  purpose: string;
  /** Data items granted, or `all` of the resource's items. */
  fields: string[] | 'all';
  /** Of the granted items, those given masked only. (Default: none) */
  masked?: string[];
  legalBasis: string;
  /** Last day of the grant. (Default: the end of next year) */
  validUntil?: string;
}

/**
 * Gives each declared grant the way a real one comes: the consumer's system requests access and
 * the provider's system approves it. Returns the number of grants made.
 */
export async function grantAccess(pool: pg.Pool, grants: GrantDeclaration[], trail: FixtureTrail = null): Promise<number> {
  const validUntil = `${new Date().getFullYear() + 1}-12-31`;
  for (const g of grants) {
    const { rows } = await pool.query<{ provider: string; items: string[] }>(
      `select declaration->>'provider' as provider, array(select jsonb_array_elements(declaration->'items')->>'name') as items
       from catalog_resource where code = $1`,
      [g.resource],
    );
    if (!rows.length) throw new Error(`grant for ${g.consumer}: ${g.resource} is not in the catalogue`);
    const fields = g.fields === 'all' ? rows[0].items : g.fields;
    const id = await requestAccess(pool, { department: g.consumer, system: `${g.consumer}-system`, roles: ['consumer'] }, {
      resource: g.resource, fields, purpose: g.purpose, legalBasis: g.legalBasis, validUntil: g.validUntil ?? validUntil,
    }, undefined, trail);
    await approveRequest(pool, { department: rows[0].provider, system: `${rows[0].provider}-system`, roles: ['provider'] }, id, {
      maskedFields: g.masked ?? [], reason: 'demo grant',
    }, trail);
  }
  return grants.length;
}

/** The demo's grants (`catalog/demo-grants.json`): civil affairs may check low-income households. */
export async function grantDemoAccess(pool: pg.Pool, trail: FixtureTrail = null): Promise<number> {
  const grants = JSON.parse(await readFile(path.join(CATALOG_DIR, 'demo-grants.json'), 'utf8')) as GrantDeclaration[];
  return grantAccess(pool, grants, trail);
}
