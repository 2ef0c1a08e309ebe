import type pg from 'pg';
import { inTransaction } from '../db/index.js';
import { CopyBuffer, type CopyValue } from './copy.js';
import { EntityGenerator, type Founder, type SyntheticEntity } from './entities.js';
import { yongzhouVillages } from './places.js';
import { PopulationGenerator } from './population.js';
import { Prng } from './prng.js';
import { PropertyGenerator, type SyntheticUnit } from './property.js';

export interface CityOptions {
  /** Number of persons. (Default: 20,000, the demo city) */
  persons?: number;
  /** PRNG seed: the same seed gives the same city. (Default: 4311) */
  seed?: number;
  /** Empty the base libraries first; otherwise a hub that holds records is refused. (Default: false) */
  replace?: boolean;
  /** Called after each batch with the persons written so far. */
  progress?: (written: number, total: number) => void;
}

export interface CityCounts {
  persons: number;
  households: number;
  legalEntities: number;
  shareholdings: number;
  economicFacts: number;
  properties: number;
  ownerships: number;
  encumbrances: number;
}

/** Ages are counted to this day, so that a seed means the same people whenever it is run. */
const TODAY = new Date('2026-01-01T00:00:00Z');
const BATCH_PERSONS = 20_000;
const TABLES = ['person', 'household', 'legal_entity', 'shareholding', 'economic_facts', 'property_unit', 'property_ownership', 'encumbrance'];
const PROVENANCE = ['source_system', 'source_key', 'resource_code', 'resource_version', 'fetched_at', 'applied_at', 'valid_from'];

/**
 * Generates a deterministic synthetic city on the real Yongzhou villages and bulk-loads it with
 * COPY, in one transaction. Into empty tables the indexes are dropped first and built after
 * loading, which is several times faster than maintaining them row by row.
 */
export async function seedCity(pool: pg.Pool, options: CityOptions = {}): Promise<CityCounts> {
  const total = options.persons ?? 20_000;
  if (!Number.isInteger(total) || total < 1) throw new Error(`persons: a positive whole number, not ${total}`);
  const rng = new Prng(options.seed ?? 4311);
  const villages = await yongzhouVillages(pool);
  const loadedAt = new Date().toISOString();
  const provenance = (system: string, key: string, resource: string): CopyValue[] => [system, key, resource, '1.0', loadedAt, loadedAt, loadedAt];

  const buffers = {
    person: new CopyBuffer('person', ['id_number', 'name', 'former_names', 'gender', 'birth_date', 'ethnicity', 'residence_division', 'address', 'marital_status', 'status', 'household_number', 'relation_to_head', ...PROVENANCE]),
    household: new CopyBuffer('household', ['number', 'head_id_number', 'address', 'division_code', ...PROVENANCE]),
    entity: new CopyBuffer('legal_entity', ['credit_code', 'name', 'kind', 'representative_id_number', 'registered_capital', 'established_on', 'status', 'address', 'division_code', 'industry_code', 'business_scope', ...PROVENANCE]),
    shareholding: new CopyBuffer('shareholding', ['credit_code', 'holder_id_number', 'holder_credit_code', 'share', 'subscribed_capital', ...PROVENANCE]),
    facts: new CopyBuffer('economic_facts', ['credit_code', 'year', 'tax_paid', 'revenue_band', 'employees', 'insured_employees', ...PROVENANCE]),
    unit: new CopyBuffer('property_unit', ['unit_number', 'kind', 'usage', 'floor_area', 'address', 'division_code', ...PROVENANCE]),
    ownership: new CopyBuffer('property_ownership', ['unit_number', 'owner_id_number', 'owner_credit_code', 'share', 'certificate_number', 'registered_on', ...PROVENANCE]),
    encumbrance: new CopyBuffer('encumbrance', ['unit_number', 'kind', 'holder', 'certificate_number', 'starts_on', 'ends_on', ...PROVENANCE]),
  };
  const counts: CityCounts = { persons: 0, households: 0, legalEntities: 0, shareholdings: 0, economicFacts: 0, properties: 0, ownerships: 0, encumbrances: 0 };
  const properties = new PropertyGenerator(rng);

  const addUnit = (unit: SyntheticUnit, owners: { idNumber?: string; creditCode?: string; share: number }[], countyCode: string) => {
    buffers.unit.add([unit.unitNumber, unit.kind, unit.usage, unit.floorArea, unit.address, unit.divisionCode, ...provenance('natural-resources.registration', unit.unitNumber, 'property.unit')]);
    counts.properties++;
    for (const o of owners) {
      const certificate = properties.certificate(unit.registeredOn);
      buffers.ownership.add([unit.unitNumber, o.idNumber ?? null, o.creditCode ?? null, o.share, certificate, unit.registeredOn, ...provenance('natural-resources.registration', certificate, 'property.ownership')]);
      counts.ownerships++;
    }
    for (const e of properties.encumbrances(unit, countyCode)) {
      buffers.encumbrance.add([unit.unitNumber, e.kind, e.holder, e.certificateNumber, e.startsOn, e.endsOn, ...provenance('natural-resources.registration', `${unit.unitNumber}/${e.kind}/${e.startsOn}`, 'property.encumbrance')]);
      counts.encumbrances++;
    }
  };

  const { rows } = await pool.query<{ held: boolean }>(`select ${TABLES.map((t) => `exists(select 1 from ${t})`).join(' or ')} as held`);
  if (rows[0].held && !options.replace) throw new Error('the base libraries already hold records: seed into an empty hub, or replace them');
  await inTransaction(pool, async (client) => {
    if (rows[0].held) await client.query(`truncate ${TABLES.join(', ')}`);
    // Imported here, not at the top: the migration brings MikroORM's migrator (0.7 s to load), which
    // every `npm start` would otherwise load through the demo code.
    const { BASE_LIBRARY_INDEXES } = await import('../db/migrations/Migration20261124001000BaseLibraries.js');
    for (const sql of BASE_LIBRARY_INDEXES) await client.query(`drop index ${/index (\w+) on/.exec(sql)![1]}`);

    // Each batch is written while the next is generated: PostgreSQL ingests on the other core.
    let writing: Promise<unknown> = Promise.resolve();
    const flush = async () => {
      await writing;
      // One statement at a time on the connection: pg queues concurrent ones, but that is deprecated.
      writing = (async () => {
        for (const buffer of Object.values(buffers)) await buffer.flush(client);
      })();
      writing.catch(() => {}); // observed at the next flush; keeps Node from calling it unhandled meanwhile
    };

    // Households, their members and their homes.
    const population = new PopulationGenerator(rng, villages, TODAY);
    const founders: Founder[] = [];
    while (counts.persons < total) {
      const h = population.household(total - counts.persons);
      const head = h.members[0];
      buffers.household.add([h.number, head.idNumber, h.address, h.village.code, ...provenance('public-security.hukou', h.number, 'population.household')]);
      counts.households++;
      for (const p of h.members) {
        buffers.person.add([
          p.idNumber, p.name, p.formerNames, p.gender, p.birthDate, p.ethnicity, h.village.code, h.address, p.maritalStatus, p.status,
          h.number, p.relationToHead, ...provenance('public-security.hukou', p.idNumber, 'population.person'),
        ]);
        if (p.status === 'living' && p.age >= 25 && p.age <= 65 && counts.persons % 5 === 0) {
          founders.push({ idNumber: p.idNumber, surname: p.name[0], village: h.village });
        }
        counts.persons++;
      }
      if (rng.chance(0.85)) {
        const spouse = h.members.find((m) => m.relationToHead === 'spouse' && m.status === 'living');
        const owners = spouse && rng.chance(0.5) ? [{ idNumber: head.idNumber, share: 50 }, { idNumber: spouse.idNumber, share: 50 }] : [{ idNumber: head.idNumber, share: 100 }];
        const homes = h.village.urban && rng.chance(0.12) ? 2 : 1;
        for (let i = 0; i < homes; i++) addUnit(properties.unit(h.village, h.village.urban ? 'residential' : 'homestead', h.address), owners, h.village.countyCode);
      }
      if (buffers.person.size >= BATCH_PERSONS) {
        await flush();
        options.progress?.(counts.persons, total);
      }
    }

    // Legal entities, founded by people of the city, with shareholders, economic facts and premises.
    const entityGenerator = new EntityGenerator(rng);
    const enterprises: SyntheticEntity[] = [];
    const entityCount = Math.max(1, Math.round(total / 25));
    for (let i = 0; i < entityCount && founders.length; i++) {
      const founder = rng.pick(founders);
      const partners = Array.from({ length: rng.int(0, 2) }, () => rng.pick(founders)).filter((p) => p.idNumber !== founder.idNumber);
      const investor = enterprises.length && rng.chance(0.1) ? rng.pick(enterprises) : null;
      const e = entityGenerator.entity(founder, [...new Map(partners.map((p) => [p.idNumber, p])).values()], investor);
      if (e.kind === 'enterprise') enterprises.push(e);
      buffers.entity.add([
        e.creditCode, e.name, e.kind, e.representativeIdNumber, e.registeredCapital, e.establishedOn, e.status, e.address, e.divisionCode,
        e.industryCode, e.businessScope, ...provenance('market-regulation.registration', e.creditCode, 'legal-entity.entity'),
      ]);
      counts.legalEntities++;
      for (const s of e.shareholders) {
        buffers.shareholding.add([e.creditCode, s.idNumber ?? null, s.creditCode ?? null, s.share, s.subscribed, ...provenance('market-regulation.registration', `${e.creditCode}/${s.idNumber ?? s.creditCode}`, 'legal-entity.shareholding')]);
        counts.shareholdings++;
      }
      for (const f of e.facts) {
        buffers.facts.add([e.creditCode, f.year, f.taxPaid, f.revenueBand, f.employees, f.insured, ...provenance('tax.levy', `${e.creditCode}/${f.year}`, 'legal-entity.economic-facts')]);
        counts.economicFacts++;
      }
      if (e.kind === 'enterprise' && e.status === 'in_business' && rng.chance(0.3)) {
        const usage = rng.pick(['commercial', 'industrial', 'office'] as const);
        addUnit(properties.unit(founder.village, usage, e.address), [{ creditCode: e.creditCode, share: 100 }], founder.village.countyCode);
      }
    }
    await flush();
    await writing;
    options.progress?.(counts.persons, total);

    for (const sql of BASE_LIBRARY_INDEXES) await client.query(sql);
  });
  await pool.query(`analyze ${TABLES.join(', ')}`);
  return counts;
}
