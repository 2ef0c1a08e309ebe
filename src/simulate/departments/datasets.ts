import { makeCreditCode } from '../../registries/legal-entities/index.js';
import { makeIdNumber } from '../../registries/population/index.js';
import { GIVEN_FEMALE, GIVEN_MALE, SURNAMES } from '../names.js';
import { addressCodeAtBirth } from '../places.js';
import { Prng } from '../prng.js';

/** A village of the synthetic city: where records' divisions come from. */
export interface SimVillage {
  code: string;
  countyCode: string;
}

/** A source record as a department system serves it. */
export type SourceRecord = Record<string, unknown>;

/**
 * A department dataset whose i-th record is computed from i, so that a million records cost no
 * memory and a seed always means the same data. Records are in (updatedAt, key) order by index:
 * `updatedAt` grows with i, which is what a source's change log looks like.
 */
export interface DatasetSpec {
  /** Source key fields (what the connector definition names as `key`). */
  key: string[];
  record(i: number, ctx: DatasetContext): SourceRecord;
  /** Spoils a record the way a real feed does (a bad value in a non-key field), so it fails the record schema. */
  malform(record: SourceRecord): SourceRecord;
}

export interface DatasetContext {
  villages: readonly SimVillage[];
  byCounty: ReadonlyMap<string, readonly SimVillage[]>;
  seed: number;
}

export function datasetContext(villages: readonly SimVillage[], seed = 4311): DatasetContext {
  const byCounty = new Map<string, SimVillage[]>();
  for (const v of villages) byCounty.set(v.countyCode, [...(byCounty.get(v.countyCode) ?? []), v]);
  return { villages, byCounty, seed };
}

const EPOCH = Date.parse('2026-01-01T00:00:00.000Z');
/** Record i last changed at EPOCH + i seconds: strictly in index order (the front-end database test makes its own ties). */
export const updatedAtOf = (i: number) => new Date(EPOCH + i * 1000).toISOString();
/** Records changed after loading are stamped from here on, after every generated one. */
export const CHANGED_EPOCH = Date.parse('2030-01-01T00:00:00.000Z');

const COUNTIES = ['431102', '431103', '431122', '431123', '431124', '431125', '431126', '431127', '431128', '431129', '431181'];
const BIRTH_BASE = Date.parse('1940-01-01T00:00:00Z');
const DAYS = 30_000;

/** Person i of the synthetic city: a valid, unique ID number by construction (county, birth day and sequence from i). */
export function personAt(i: number, ctx: DatasetContext) {
  const rng = new Prng(ctx.seed * 1_000_003 + i);
  const county = COUNTIES[i % COUNTIES.length];
  const j = Math.floor(i / COUNTIES.length);
  const birthDate = new Date(BIRTH_BASE + (j % DAYS) * 86_400_000).toISOString().slice(0, 10);
  const sequence = Math.floor(j / DAYS);
  const gender = rng.chance(0.5) ? ('male' as const) : ('female' as const);
  const idNumber = makeIdNumber(addressCodeAtBirth(county, birthDate), birthDate, (sequence % 500) * 2, gender);
  const villages = ctx.byCounty.get(county) ?? ctx.villages;
  const village = villages[rng.int(0, villages.length - 1)];
  const surname = SURNAMES[rng.int(0, SURNAMES.length - 1)][0];
  const given = gender === 'male' ? GIVEN_MALE : GIVEN_FEMALE;
  return { rng, idNumber, gender, birthDate, village, name: surname + given[rng.int(0, given.length - 1)] + (rng.chance(0.6) ? given[rng.int(0, given.length - 1)] : '') };
}

const month = (rng: Prng) => `2025-${String(rng.int(1, 12)).padStart(2, '0')}`;
const day = (rng: Prng, from = 2015, to = 2025) => `${rng.int(from, to)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
const money = (rng: Prng, lo: number, hi: number) => Math.round((lo + rng.next() * (hi - lo)) * 100) / 100;
const spoil = (field: string, value: unknown) => (r: SourceRecord) => ({ ...r, [field]: value });

/** Department datasets by name, as their simulated systems serve them. Field names are the source's, not the hub's. */
export const DATASETS: Record<string, DatasetSpec> = {
  /** 公安 户籍: the household register. */
  'household-register': {
    key: ['sfzh'],
    record(i, ctx) {
      const p = personAt(i, ctx);
      const married = p.birthDate < '2000-01-01' && p.rng.chance(0.7);
      return {
        sfzh: p.idNumber, xm: p.name, xb: p.gender === 'male' ? '1' : '2', csrq: p.birthDate.replaceAll('-', ''), mz: p.rng.chance(0.95) ? '汉族' : '瑶族',
        hjdz_qh: p.village.code, zz: `湖南省永州市${p.village.code}号`, hyzk: married ? 'married' : 'unmarried', ryzt: 'living',
        hh: `${p.village.code}-${String(i).padStart(7, '0')}`, yhzgx: 'head', gxsj: updatedAtOf(i),
      };
    },
    malform: spoil('xb', '9'),
  },
  /** 市场监管 企业登记. */
  'enterprise-register': {
    key: ['tyshxydm'],
    record(i, ctx) {
      const p = personAt(i * 3 + 1, ctx);
      const body = String(10_000_000 + i).slice(-8);
      const creditCode = makeCreditCode('9', '1', p.village.code.slice(0, 6), body.replace(/^0/, 'M'));
      return {
        tyshxydm: creditCode, qymc: `永州市${p.name}商贸有限公司${i}`, qylx: i % 10 ? '企业' : '农民专业合作社', fddbr: p.idNumber, zczb: money(p.rng, 1e5, 1e7),
        clrq: day(p.rng, 2000, 2025), djzt: i % 50 ? '存续' : '注销', zs: `湖南省永州市${p.village.code}号`, qh: p.village.code, hydm: 'F52', jyfw: '日用百货销售', gxsj: updatedAtOf(i),
      };
    },
    malform: spoil('clrq', 'unknown'),
  },
  /** 不动产登记 单元. */
  'real-estate-units': {
    key: ['bdcdyh'],
    record(i, ctx) {
      const p = personAt(i * 5 + 2, ctx);
      const unit = `${p.village.code.slice(0, 6)}001002GB${String(i % 100_000).padStart(5, '0')}F${String(Math.floor(i / 100_000) + 1).padStart(8, '0')}`;
      return { bdcdyh: unit, lx: '房屋', yt: i % 8 ? '住宅' : '商业', mj: money(p.rng, 40, 180), zl: `湖南省永州市${p.village.code}号`, qh: p.village.code, gxsj: updatedAtOf(i) };
    },
    malform: spoil('mj', -1),
  },
  /** 税务 个人所得税. */
  'tax-income': {
    key: ['nsrsbh', 'ssq', 'sdxm'],
    record(i, ctx) {
      const p = personAt(Math.floor(i / 2), ctx);
      const income = money(p.rng, 2000, 30000);
      return { nsrsbh: p.idNumber, ssq: `2025-${String((i % 12) + 1).padStart(2, '0')}`, sdxm: i % 2 ? 'business' : 'wages', sre: income, ynse: Math.round(income * 3) / 100, kjywr: null, gxsj: updatedAtOf(i) };
    },
    malform: spoil('sre', 'n/a'),
  },
  /** 人社 养老金/失业金发放. */
  'hrss-pension': {
    key: ['sfzh', 'ffyf', 'dylx'],
    record(i, ctx) {
      const p = personAt(i, ctx);
      return { sfzh: p.idNumber, ffyf: month(p.rng), dylx: p.rng.chance(0.85) ? 'pension' : 'unemployment', je: money(p.rng, 800, 4500), gxsj: updatedAtOf(i) };
    },
    malform: spoil('je', 'abc'),
  },
  /** 人社 社保缴费基数. */
  'hrss-contribution': {
    key: ['sfzh', 'nd', 'xz'],
    record(i, ctx) {
      const p = personAt(i, ctx);
      return { sfzh: p.idNumber, nd: 2025, xz: 'pension', jfjs: money(p.rng, 3000, 20000), dwtyshxydm: null, gxsj: updatedAtOf(i) };
    },
    malform: spoil('jfjs', 'about 5000'),
  },
  /** 住房公积金 账户. */
  'provident-fund': {
    key: ['grzh'],
    record(i, ctx) {
      const p = personAt(i, ctx);
      const base = money(p.rng, 2000, 15000);
      return { grzh: `YZGJJ${String(i).padStart(10, '0')}`, sfzh: p.idNumber, jcjs: base, yjce: Math.round(base * 24) / 100, ye: money(p.rng, 0, 200000), zt: 'active', zhtqrq: p.rng.chance(0.2) ? day(p.rng, 2024, 2025) : null, gxsj: updatedAtOf(i) };
    },
    malform: spoil('zt', 'frozen?'),
  },
  /** 车管所 机动车. */
  vehicles: {
    key: ['hphm'],
    record(i, ctx) {
      const p = personAt(i * 2, ctx);
      const plate = `湘M${String.fromCharCode(65 + (i % 20))}${String(i % 100_000).padStart(5, '0')}${Math.floor(i / 2_000_000) || ''}`;
      return { hphm: plate, syrsfzh: p.idNumber, cllx: p.rng.chance(0.8) ? 'passenger-car' : 'motorcycle', ppxh: '比亚迪', zcrq: day(p.rng), zt: 'normal', gxsj: updatedAtOf(i) };
    },
    malform: spoil('zcrq', '20XX'),
  },
  /** 残联 残疾人证. */
  'disability-certificates': {
    key: ['czh'],
    record(i, ctx) {
      const p = personAt(i * 7, ctx);
      return { czh: `${p.idNumber}${(i % 7) + 1}${(i % 4) + 1}`, sfzh: p.idNumber, cjlb: ['visual', 'hearing', 'speech', 'physical', 'intellectual', 'mental', 'multiple'][i % 7], cjdj: (i % 4) + 1, fzrq: day(p.rng), yxq: '2030-12-31', gxsj: updatedAtOf(i) };
    },
    malform: spoil('cjdj', '5'),
  },
  /** 民政 婚姻登记. */
  marriages: {
    key: ['djbh'],
    record(i, ctx) {
      const a = personAt(i * 2, ctx);
      const b = personAt(i * 2 + 1, ctx);
      return { djbh: `J${String(431100 + (i % 11))}-${String(i).padStart(8, '0')}`, lx: i % 9 ? 'marriage' : 'divorce', nfsfzh: a.idNumber, nvsfzh: b.idNumber, djrq: day(a.rng), djjg: '永州市婚姻登记处', gxsj: updatedAtOf(i) };
    },
    malform: spoil('lx', 'engagement'),
  },
  /** 民政 低保/特困救助. */
  assistance: {
    key: ['ajbh'],
    record(i, ctx) {
      const p = personAt(i * 11, ctx);
      return { ajbh: `DB${String(i).padStart(9, '0')}`, sqrsfzh: p.idNumber, lb: ['dibao', 'tekun', 'edge'][i % 3], jtrk: (i % 5) + 1, yje: money(p.rng, 300, 1500), ksrq: day(p.rng, 2020, 2025), jsrq: '', qh: p.village.code, gxsj: updatedAtOf(i) };
    },
    malform: spoil('jtrk', 'many'),
  },
  /** 医保 大额自付医疗费用. */
  'medical-costs': {
    key: ['jsbh'],
    record(i, ctx) {
      const p = personAt(i * 3, ctx);
      const total = money(p.rng, 5000, 300000);
      return { jsbh: `YB${String(i).padStart(10, '0')}`, sfzh: p.idNumber, yymc: '永州市中心医院', jsrq: day(p.rng, 2024, 2025), zfy: total, grzf: Math.round(total * 35) / 100, lb: 'inpatient', gxsj: updatedAtOf(i) };
    },
    malform: spoil('zfy', 'lots'),
  },
  /** 冷水滩区 网格: 城市部件. */
  'grid-components': {
    key: ['bsm'],
    record(i, ctx) {
      const villages = ctx.byCounty.get('431103') ?? ctx.villages;
      const rng = new Prng(ctx.seed * 7 + i);
      const village = villages[i % villages.length];
      const subclass = ['0101', '0102', '0103', '0110', '0301'][i % 5];
      return {
        bsm: `${village.code.slice(0, 6)}${subclass}${String(500_000 + i).padStart(6, '0')}`, xl: subclass, mc: `部件${i}`, qh: village.code, wg: null, dz: null,
        jd: 111.6 + rng.next() * 0.05, wd: 26.4 + rng.next() * 0.05, qsbm: 'urban-management', yhdw: '冷水滩区市政养护中心', zt: 'normal', xcrq: day(rng, 2025, 2025), gxsj: updatedAtOf(i),
      };
    },
    malform: spoil('zt', 'lost'),
  },
  /** 零陵区 网格: 网格事件. */
  'grid-events': {
    key: ['sjbh'],
    record(i, ctx) {
      const villages = ctx.byCounty.get('431102') ?? ctx.villages;
      const village = villages[i % villages.length];
      return { sjbh: `SJ431102${String(i).padStart(8, '0')}`, wgbm: `${village.code}01`, qh: village.code, lb: ['环境卫生', '市政设施', '违章停车', '占道经营'][i % 4], sbsj: updatedAtOf(i), zt: ['reported', 'dispatched', 'resolved', 'closed'][i % 4], ms: `网格员上报事件${i}`, bjbm: null, gxsj: updatedAtOf(i) };
    },
    malform: spoil('zt', 'pending?'),
  },
};

/** Whether record i of a dataset is served malformed at `rate`: fixed per record, so every read of it agrees. */
export function isMalformed(i: number, rate: number, seed = 4311): boolean {
  if (rate <= 0) return false;
  // A cheap integer hash of (seed, i), uniform enough for choosing records.
  let h = (i ^ (seed * 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 4294967296 < rate;
}
