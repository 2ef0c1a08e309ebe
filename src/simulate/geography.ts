import type pg from 'pg';
import { SpatialRandom } from './spatial-prng.js';
import { copyRows, type CopyValue } from './copy.js';

/**
 * Synthetic geometry for Yongzhou (永州市). No boundary data is available offline, so the city's
 * real bounding box is cut into county cells (placed near each county's real seat), each county
 * into its townships, each township into its villages and each village into its grids. Cells are
 * rectangles that exactly tile their parent (the cuts are shared values), sized by how many units
 * they hold. The shapes are not the real boundaries: they only make `locate` consistent.
 */
export const YONGZHOU = '431100';
export const YONGZHOU_BOX: Box = { west: 110.9, south: 24.6, east: 112.4, north: 26.9 };

/** Approximate real seats of the county-level units, used only to place their cells. */
const COUNTY_SEATS: Record<string, [lng: number, lat: number]> = {
  '431102': [111.62, 26.22], // 零陵区
  '431103': [111.59, 26.46], // 冷水滩区
  '431122': [111.31, 26.39], // 东安县
  '431123': [111.66, 25.96], // 双牌县
  '431124': [111.6, 25.53], // 道县
  '431125': [111.34, 25.27], // 江永县
  '431126': [111.94, 25.57], // 宁远县
  '431127': [112.19, 25.37], // 蓝山县
  '431128': [112.22, 25.9], // 新田县
  '431129': [111.58, 25.18], // 江华瑶族自治县
  '431181': [111.84, 26.58], // 祁阳市
  '431171': [111.68, 26.4], // 永州经济技术开发区
  '431173': [111.22, 25.42], // 回龙圩管理区
};

export interface Box {
  west: number;
  south: number;
  east: number;
  north: number;
}

interface Cell {
  code: string;
  weight: number;
  seat?: [number, number];
}

/**
 * Cuts `box` into one rectangle per cell, areas proportional to weights: halve the cells by
 * weight, cut the box across its longer side (in metres), recurse. Cells with seats are ordered
 * along the cut axis by their seat, so that each lands roughly where it is.
 */
export function tile(box: Box, cells: readonly Cell[], out = new Map<string, Box>()): Map<string, Box> {
  if (cells.length === 0) return out;
  if (cells.length === 1) return out.set(cells[0].code, box);
  const midLat = ((box.south + box.north) / 2) * (Math.PI / 180);
  const wide = (box.east - box.west) * Math.cos(midLat) >= box.north - box.south;
  const ordered = cells.every((c) => c.seat)
    ? [...cells].sort((a, b) => (wide ? a.seat![0] - b.seat![0] : a.seat![1] - b.seat![1]))
    : cells;
  const total = ordered.reduce((sum, c) => sum + c.weight, 0);
  // The first `split` cells take the share of the weight closest to half.
  let split = 1;
  let before = ordered[0].weight;
  for (let i = 2, acc = before; i < ordered.length; i++) {
    acc += ordered[i - 1].weight;
    if (Math.abs(acc - total / 2) < Math.abs(before - total / 2)) [split, before] = [i, acc];
  }
  const share = before / total;
  if (wide) {
    const cut = box.west + (box.east - box.west) * share;
    tile({ ...box, east: cut }, ordered.slice(0, split), out);
    tile({ ...box, west: cut }, ordered.slice(split), out);
  } else {
    const cut = box.south + (box.north - box.south) * share;
    tile({ ...box, north: cut }, ordered.slice(0, split), out);
    tile({ ...box, south: cut }, ordered.slice(split), out);
  }
  return out;
}

export const polygonText = (b: Box) =>
  `((${b.west},${b.south}),(${b.east},${b.south}),(${b.east},${b.north}),(${b.west},${b.north}))`;
export const centre = (b: Box): [number, number] => [(b.west + b.east) / 2, (b.south + b.north) / 2];
export const pointText = ([lng, lat]: [number, number]) => `(${lng},${lat})`;

/** Village-level units numbered 001–199 (居委会) and 400–499 (similar) are urban communities. */
export const isUrbanVillage = (code: string) => {
  const n = Number(code.slice(9, 12));
  return n < 200 || (n >= 400 && n < 500);
};

export interface SeedOptions {
  /** Multiplies the number of standard addresses per village. (Default: 1, about 110,000 addresses) */
  scale?: number;
  /** PRNG seed. (Default: 20261124) */
  seed?: number;
  onProgress?: (step: string, count: number) => void;
}

/** Provenance of everything the generator writes: a simulated department system. */
export const simulatedProvenance = (system: string, resource: string) => ({
  sourceSystem: system,
  resourceCode: resource,
  resourceVersion: '1.0',
});

/** The day the synthetic registers were first loaded; later versions are changes after it. */
export const FIRST_LOADED = '2024-01-01T00:00:00+08:00';
export const CHANGED = '2025-07-01T00:00:00+08:00';

const SURNAMES = '王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢唐蒋邓欧阳'.split('');
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰春生文斌'.split('');
const ROADS = ['潇湘大道', '零陵路', '凤凰路', '梅湾路', '河东路', '育才路', '人民路', '解放路', '建设路', '文化路',
  '新华路', '滨江路', '环城路', '工业路', '站前路', '湘江路', '永州大道', '长丰大道', '南津路', '舜德路'];

interface DivisionNode {
  code: string;
  name: string;
  level: string;
  parentCode: string | null;
}

/**
 * Geometry for every current Yongzhou division, grids under every village-level unit and standard
 * addresses in every grid. Returns counts of what was written.
 */
export async function seedGeography(client: pg.ClientBase, options: SeedOptions = {}) {
  const random = new SpatialRandom(options.seed ?? 20261124);
  const scale = options.scale ?? 1;
  const { rows: divisions } = await client.query<DivisionNode>(
    `select code, name, level, parent_code as "parentCode" from division
     where (code = $1 or code like '4311%') and valid_to is null and level in ('prefecture', 'county', 'township', 'village')
     order by code`,
    [YONGZHOU],
  );
  const byCode = new Map(divisions.map((d) => [d.code, d]));
  const children = new Map<string, DivisionNode[]>();
  for (const d of divisions) if (d.parentCode) children.set(d.parentCode, [...(children.get(d.parentCode) ?? []), d]);
  const villagesUnder = (code: string): number =>
    (children.get(code) ?? []).reduce((n, c) => n + (c.level === 'village' ? 1 : villagesUnder(c.code)), 0);

  // Boxes, top down.
  const boxes = new Map<string, Box>([[YONGZHOU, YONGZHOU_BOX]]);
  const queue = [YONGZHOU];
  while (queue.length) {
    const code = queue.shift()!;
    const kids = children.get(code) ?? [];
    if (!kids.length) continue;
    const cells = kids.map((k) => ({
      code: k.code,
      weight: k.level === 'village' ? (isUrbanVillage(k.code) ? 0.3 : 1) : Math.max(1, villagesUnder(k.code)),
      seat: COUNTY_SEATS[k.code],
    }));
    tile(boxes.get(code)!, cells, boxes);
    queue.push(...kids.map((k) => k.code));
  }
  await copyRows(
    client,
    'division_geometry',
    ['code', 'boundary', 'centroid'],
    [...boxes].map(([code, box]) => [code, polygonText(box), pointText(centre(box))]),
  );
  options.onProgress?.('division geometry', boxes.size);

  const villages = divisions.filter((d) => d.level === 'village');
  const gridRows: CopyValue[][] = [];
  const addressRows: CopyValue[][] = [];
  const keeper = () => `${random.pick(SURNAMES)}${random.pick(GIVEN)}${random.chance(0.6) ? random.pick(GIVEN) : ''}`;
  const phone = () => `1${random.pick(['3', '5', '7', '8', '9'])}${String(random.int(0, 999_999_999)).padStart(9, '0')}`;
  const registry = simulatedProvenance('natural-resources/grid-registry', 'spatial.grid');
  const addressRegistry = simulatedProvenance('natural-resources/address-registry', 'spatial.address');

  for (const village of villages) {
    const urban = isUrbanVillage(village.code);
    const township = byCode.get(village.parentCode!)!;
    const county = byCode.get(township.parentCode!)!;
    const gridCount = urban ? random.int(3, 6) : random.int(2, 3);
    const gridBoxes = tile(
      boxes.get(village.code)!,
      Array.from({ length: gridCount }, (_, i) => ({ code: `${village.code}${String(i + 1).padStart(3, '0')}`, weight: 1 })),
    );
    const grids = [...gridBoxes];
    for (const [code, box] of grids) {
      const base = [code, `${village.name}第${Number(code.slice(12))}网格`, village.code];
      const geometry = [polygonText(box), pointText(centre(box))];
      const version = (name: string, phoneNumber: string, from: string, to: string | null) =>
        [...base, name, phoneNumber, ...geometry, registry.sourceSystem, code, registry.resourceCode, registry.resourceVersion, from, from, to];
      if (random.chance(0.03)) {
        // The grid keeper changed: the old keeper's version ends when the new one's begins.
        gridRows.push(version(keeper(), phone(), FIRST_LOADED, CHANGED), version(keeper(), phone(), CHANGED, null));
      } else gridRows.push(version(keeper(), phone(), FIRST_LOADED, null));
    }

    const addressCount = Math.max(1, Math.round((urban ? 60 : 30) * scale * (0.6 + random.next() * 0.8)));
    const road = urban ? random.pick(ROADS) : '';
    for (let i = 1; i <= addressCount; i++) {
      const [gridCode, box] = grids[(i - 1) % grids.length];
      // Kept off the cell's edge, so that the address is unambiguously inside its grid.
      const lng = box.west + (box.east - box.west) * (0.05 + 0.9 * random.next());
      const lat = box.south + (box.north - box.south) * (0.05 + 0.9 * random.next());
      const street = urban ? road : `${random.int(1, 12)}组`;
      const house = `${urban ? i * 2 - 1 : random.int(1, 80)}号`;
      const code = `${village.code}${String(i).padStart(6, '0')}`;
      const fullText = `湖南省永州市${county.name}${township.name}${village.name}${street}${house}`;
      addressRows.push([code, fullText, village.code, gridCode, street, house, pointText([lng, lat]),
        addressRegistry.sourceSystem, code, addressRegistry.resourceCode, addressRegistry.resourceVersion, FIRST_LOADED, FIRST_LOADED, null]);
    }
  }
  const provenanceColumns = ['source_system', 'source_key', 'resource_code', 'resource_version', 'fetched_at', 'valid_from', 'valid_to'];
  await copyRows(client, 'grid', ['code', 'name', 'division_code', 'keeper_name', 'keeper_phone', 'boundary', 'centroid', ...provenanceColumns], gridRows);
  options.onProgress?.('grids', gridRows.length);
  await copyRows(client, 'address', ['code', 'full_text', 'division_code', 'grid_code', 'road', 'house_number', 'location', ...provenanceColumns], addressRows);
  options.onProgress?.('addresses', addressRows.length);
  return { divisionGeometries: boxes.size, grids: gridRows.length, addresses: addressRows.length };
}
