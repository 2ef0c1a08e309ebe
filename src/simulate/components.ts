import type pg from 'pg';
import { CHANGED, FIRST_LOADED, isUrbanVillage, pointText, simulatedProvenance } from './geography.js';
import { SpatialRandom } from './spatial-prng.js';
import { copyRows, type CopyValue } from './copy.js';

/** What stands along an urban street, how often per address, who owns it and who maintains it. */
const KINDS: { subclass: string; name: string; perAddress: number; owner: string; maintainer: string }[] = [
  { subclass: '0101', name: '上水井盖', perAddress: 0.5, owner: '永州市自来水公司', maintainer: '永州市供水管网维护中心' },
  { subclass: '0102', name: '污水井盖', perAddress: 0.4, owner: '永州市城市管理和综合执法局', maintainer: '永州市排水管理处' },
  { subclass: '0103', name: '雨水井盖', perAddress: 0.4, owner: '永州市城市管理和综合执法局', maintainer: '永州市排水管理处' },
  { subclass: '0105', name: '电力井盖', perAddress: 0.2, owner: '国网永州供电公司', maintainer: '国网永州供电公司运维检修部' },
  { subclass: '0107', name: '通讯井盖', perAddress: 0.2, owner: '中国电信永州分公司', maintainer: '中国电信永州分公司线路维护中心' },
  { subclass: '0109', name: '消防栓', perAddress: 0.1, owner: '永州市消防救援支队', maintainer: '永州市自来水公司' },
  { subclass: '0110', name: '路灯', perAddress: 0.5, owner: '永州市城市管理和综合执法局', maintainer: '永州市路灯管理所' },
  { subclass: '0201', name: '公交站亭', perAddress: 0.04, owner: '永州市交通运输局', maintainer: '永州市公共交通有限公司' },
  { subclass: '0203', name: '交通标志牌', perAddress: 0.08, owner: '永州市公安局交通警察支队', maintainer: '永州市交通设施维护中心' },
  { subclass: '0301', name: '公共厕所', perAddress: 0.02, owner: '永州市城市管理和综合执法局', maintainer: '永州市环境卫生管理处' },
  { subclass: '0303', name: '果皮箱', perAddress: 0.3, owner: '永州市城市管理和综合执法局', maintainer: '永州市环境卫生管理处' },
  { subclass: '0402', name: '行道树', perAddress: 0.6, owner: '永州市林业局', maintainer: '永州市园林绿化中心' },
];

/** Roughly 8 m of latitude; components stand within a few metres of their address. */
const NEARBY = 0.00008;

/**
 * City components (城市部件) along the standard addresses of urban communities: manhole covers,
 * street lights, trees and bins beside each address, in its grid. Most are normal; a few were
 * found damaged at an inspection after the first load (a second version), some are missing or
 * removed.
 */
export async function seedComponents(client: pg.ClientBase, seed = 20261124): Promise<number> {
  const random = new SpatialRandom(seed ^ 0xc0de);
  const { rows: addresses } = await client.query<{ code: string; divisionCode: string; gridCode: string; lng: number; lat: number }>(
    `select code, division_code as "divisionCode", grid_code as "gridCode", location[0] as lng, location[1] as lat
     from address where valid_to is null and division_code like '4311%' order by code`,
  );
  const provenance = simulatedProvenance('urban-management/component-census', 'city-component.component');
  const serials = new Map<string, number>();
  const out: CopyValue[][] = [];
  for (const address of addresses) {
    if (!isUrbanVillage(address.divisionCode)) continue;
    for (const kind of KINDS) {
      for (let n = kind.perAddress + random.next(); n >= 1; n--) {
        const key = `${address.divisionCode.slice(0, 6)}${kind.subclass}`;
        const serial = (serials.get(key) ?? 0) + 1;
        serials.set(key, serial);
        const code = `${key}${String(serial).padStart(6, '0')}`;
        // Kept within the address's grid cell: addresses stand well inside their cells.
        const location = pointText([address.lng + (random.next() - 0.5) * NEARBY, address.lat + (random.next() - 0.5) * NEARBY]);
        const inspected = `2025-${String(random.int(1, 6)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`;
        const version = (status: string, inspectedOn: string, from: string, to: string | null) => [
          code, kind.subclass.slice(0, 2), kind.subclass, kind.name, address.divisionCode, address.gridCode, address.code, location,
          kind.owner, kind.maintainer, status, inspectedOn, provenance.sourceSystem, code, provenance.resourceCode,
          provenance.resourceVersion, from, from, to,
        ];
        const fate = random.next();
        if (fate < 0.05) {
          out.push(version('normal', '2023-11-15', FIRST_LOADED, CHANGED), version('damaged', CHANGED.slice(0, 10), CHANGED, null));
        } else {
          const status = fate < 0.07 ? 'missing' : fate < 0.09 ? 'removed' : 'normal';
          out.push(version(status, inspected, FIRST_LOADED, null));
        }
      }
    }
  }
  await copyRows(
    client,
    'city_component',
    ['code', 'category', 'subclass', 'name', 'division_code', 'grid_code', 'address_code', 'location', 'owner_department',
      'maintenance_unit', 'status', 'last_inspected_on', 'source_system', 'source_key', 'resource_code', 'resource_version',
      'fetched_at', 'valid_from', 'valid_to'],
    out,
  );
  return out.length;
}
