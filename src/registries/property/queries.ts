import type pg from 'pg';
import { VERSION_COLUMNS, asOfParams, keyed, readAt, versionColumns, validAt, type AsOf, type Versioned } from '../records.js';

/** Every SQL statement of the property library. */

export interface PropertyUnitRow extends Versioned {
  unitNumber: string;
  kind: string;
  usage: string;
  floorArea: string | null;
  address: string;
  divisionCode: string;
}

export interface OwnershipRow extends Versioned {
  unitNumber: string;
  ownerIdNumber: string | null;
  ownerCreditCode: string | null;
  share: string;
  certificateNumber: string;
  registeredOn: string;
}

export interface EncumbranceRow extends Versioned {
  unitNumber: string;
  kind: string;
  holder: string;
  certificateNumber: string | null;
  startsOn: string;
  endsOn: string | null;
}

const unitColumns = (alias = '') => {
  const a = alias ? `${alias}.` : '';
  return `${a}unit_number as "unitNumber", ${a}kind, ${a}usage, ${a}floor_area as "floorArea", ${a}address,
    ${a}division_code as "divisionCode", ${versionColumns(alias)}`;
};
const UNIT = unitColumns();
const OWNERSHIP = `unit_number as "unitNumber", owner_id_number as "ownerIdNumber", owner_credit_code as "ownerCreditCode", share,
  certificate_number as "certificateNumber", registered_on as "registeredOn", ${VERSION_COLUMNS}`;
const ENCUMBRANCE = `unit_number as "unitNumber", kind, holder, certificate_number as "certificateNumber", starts_on as "startsOn",
  ends_on as "endsOn", ${VERSION_COLUMNS}`;

export async function unitsByNumber(pool: pg.Pool, numbers: string[], asOf: AsOf): Promise<Map<string, PropertyUnitRow>> {
  const key = keyed('unit_number', numbers);
  const { rows } = await pool.query<PropertyUnitRow>({
    name: `property.units-by-number.${key.form}.${asOf ? 'at' : 'now'}`,
    text: `select ${UNIT} from property_unit where ${key.condition} and ${validAt(asOf, 2)}`,
    values: [key.value, ...asOfParams(asOf)],
  });
  return new Map(readAt(rows, asOf).map((r) => [r.unitNumber, r]));
}

export async function ownershipsOfUnits(pool: pg.Pool, numbers: string[], asOf: AsOf): Promise<OwnershipRow[]> {
  const { rows } = await pool.query<OwnershipRow>(
    `select ${OWNERSHIP} from property_ownership where unit_number = any($1) and ${validAt(asOf, 2)} order by unit_number, share desc`,
    [numbers, ...asOfParams(asOf)],
  );
  return readAt(rows, asOf);
}

/** Units owned by persons (`owner_id_number`) or entities (`owner_credit_code`), in one round trip. */
export async function unitsOwnedBy(
  pool: pg.Pool,
  owner: 'owner_id_number' | 'owner_credit_code',
  keys: string[],
  asOf: AsOf,
): Promise<(PropertyUnitRow & { ownerKey: string })[]> {
  const { rows } = await pool.query<PropertyUnitRow & { ownerKey: string }>(
    `select o.${owner} as "ownerKey", ${unitColumns('u')}
     from property_ownership o join property_unit u on u.unit_number = o.unit_number and ${validAt(asOf, 2, 'u')}
     where o.${owner} = any($1) and ${validAt(asOf, 2, 'o')} order by o.${owner}, u.unit_number`,
    [keys, ...asOfParams(asOf)],
  );
  return readAt(rows, asOf);
}

export async function encumbrancesOfUnits(pool: pg.Pool, numbers: string[], asOf: AsOf): Promise<EncumbranceRow[]> {
  const { rows } = await pool.query<EncumbranceRow>(
    `select ${ENCUMBRANCE} from encumbrance where unit_number = any($1) and ${validAt(asOf, 2)} order by unit_number, starts_on`,
    [numbers, ...asOfParams(asOf)],
  );
  return readAt(rows, asOf);
}
