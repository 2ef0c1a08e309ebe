import type pg from 'pg';

/** A village-level division of Yongzhou with the names above it, where synthetic people live. */
export interface Village {
  code: string;
  name: string;
  townshipName: string;
  countyCode: string;
  countyName: string;
  /** The place the committee serves, as addresses name it: 桃江村委会 → 桃江村, 蒋家田社区居委会 → 蒋家田社区. */
  placeName: string;
  /** 居委会 (village digits 001–199, 400–499): urban units, state-owned land. */
  urban: boolean;
}

/** The real Yongzhou villages (2023 codes), in code order so that a seed always means the same city. */
export async function yongzhouVillages(pool: pg.Pool): Promise<Village[]> {
  const { rows } = await pool.query<Omit<Village, 'urban' | 'placeName'>>(`
    select v.code, v.name, t.name as "townshipName", c.code as "countyCode", c.name as "countyName"
    from division v join division t on t.code = v.parent_code join division c on c.code = t.parent_code
    where v.level = 'village' and c.parent_code = '431100' and v.valid_to is null
    order by v.code`);
  if (!rows.length) throw new Error('no Yongzhou villages in the division table: load the reference data first');
  return rows.map((v) => {
    const n = Number(v.code.slice(9));
    return { ...v, placeName: v.name.replace(/(村委会|居委会)$/, ''), urban: n < 200 || (n >= 400 && n < 500) };
  });
}

/**
 * The county code an ID number of someone registered in `countyCode` and born on `birthDate`
 * carries: the code of the day the number was assigned (祁阳县 431121 until 2021-05-17), and
 * for the statistical zones, which GB/T 2260 does not know, the district that held them.
 */
export function addressCodeAtBirth(countyCode: string, birthDate: string): string {
  if (countyCode === '431181' && birthDate < '2021-05-17') return '431121';
  if (countyCode === '431171') return '431103';
  if (countyCode === '431173') return '431102';
  return countyCode;
}
