import { makeCreditCode } from '../registries/legal-entities/index.js';
import { INDUSTRIES, TRADE_NAMES } from './names.js';
import type { Village } from './places.js';
import type { Prng } from './prng.js';

type Kind = 'enterprise' | 'individual_business' | 'cooperative' | 'social_organisation' | 'public_institution' | 'government_body';

/** Registration authority and organisation type (GB 32100) of each kind, and how common it is. */
const KINDS: [Kind, { authority: string; type: string; weight: number }][] = [
  ['enterprise', { authority: '9', type: '1', weight: 55 }],
  ['individual_business', { authority: '9', type: '2', weight: 33 }],
  ['cooperative', { authority: '9', type: '3', weight: 5 }],
  ['social_organisation', { authority: '5', type: '1', weight: 3 }],
  ['public_institution', { authority: '1', type: '2', weight: 3 }],
  ['government_body', { authority: '1', type: '1', weight: 1 }],
];

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

export interface SyntheticEntity {
  creditCode: string;
  name: string;
  kind: Kind;
  representativeIdNumber: string;
  registeredCapital: number | null;
  establishedOn: string;
  status: 'in_business' | 'revoked' | 'cancelled';
  address: string;
  divisionCode: string;
  industryCode: string;
  businessScope: string;
  shareholders: { idNumber?: string; creditCode?: string; share: number; subscribed: number | null }[];
  facts: { year: number; taxPaid: number; revenueBand: string; employees: number; insured: number }[];
}

/** A person who may represent or hold shares in an entity: an adult living where the entity is. */
export interface Founder {
  idNumber: string;
  surname: string;
  village: Village;
}

/** Generates legal entities with valid, unique credit codes. */
export class EntityGenerator {
  private serial = 0;

  constructor(private readonly rng: Prng) {}

  entity(founder: Founder, partners: Founder[], investor: SyntheticEntity | null): SyntheticEntity {
    const rng = this.rng;
    const kind = rng.weighted(KINDS.map(([k, v]) => [k, v.weight] as const));
    const { authority, type } = KINDS.find(([k]) => k === kind)![1];
    const n = this.serial++;
    // Market-regulation codes since 2015 start their organisation body with MA; the rest are numeric.
    const body = authority === '9' ? `MA${base31(n, 6)}` : String(10_000_000 + n).slice(-8);
    const v = founder.village;
    const creditCode = makeCreditCode(authority, type, v.countyCode, body);
    const [industryCode, trade] = kind === 'government_body' ? ['S9221', '人民政府办公室'] : kind === 'public_institution' ? ['P8321', '中心小学'] : rng.pick(INDUSTRIES);
    const tradeName = rng.pick(TRADE_NAMES);
    const county = v.countyName.replace(/(瑶族自治县|县|区|市)$/, '');
    const name = {
      enterprise: `永州${tradeName}${trade}有限公司`,
      individual_business: `${county}${v.townshipName}${founder.surname}记${trade}店`,
      cooperative: `${v.countyName}${v.placeName}${trade}专业合作社`,
      social_organisation: `${v.countyName}${trade}协会`,
      public_institution: `${v.countyName}${v.townshipName}${trade}`,
      government_body: `${v.townshipName}${trade}`,
    }[kind];
    const established = `${rng.int(1995, 2025)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
    const capital = kind === 'enterprise' ? rng.int(10, 5000) * 10_000 : kind === 'individual_business' ? rng.int(1, 50) * 10_000 : kind === 'cooperative' ? rng.int(5, 200) * 10_000 : null;
    const status = rng.chance(0.9) ? 'in_business' : rng.chance(0.5) ? 'revoked' : 'cancelled';

    const shareholders: SyntheticEntity['shareholders'] = [];
    if (kind === 'individual_business') shareholders.push({ idNumber: founder.idNumber, share: 100, subscribed: capital });
    if (kind === 'enterprise' || kind === 'cooperative') {
      const holders: { idNumber?: string; creditCode?: string }[] = [{ idNumber: founder.idNumber }, ...partners.map((p) => ({ idNumber: p.idNumber }))];
      if (investor && kind === 'enterprise') holders.push({ creditCode: investor.creditCode });
      let left = 100;
      holders.forEach((h, i) => {
        const share = i === holders.length - 1 ? left : Math.max(1, Math.round((left * rng.int(30, 70)) / 100));
        left -= share;
        shareholders.push({ ...h, share, subscribed: capital === null ? null : (capital * share) / 100 });
      });
    }

    const facts: SyntheticEntity['facts'] = [];
    if (status === 'in_business' && (kind === 'enterprise' || kind === 'individual_business' || kind === 'cooperative')) {
      let employees = kind === 'individual_business' ? rng.int(1, 8) : Math.round(Math.exp(rng.next() * 5.5)) + 2;
      for (let year = Math.max(2022, Number(established.slice(0, 4))); year <= 2025; year++) {
        employees = Math.max(1, Math.round(employees * (0.9 + rng.next() * 0.25)));
        const revenue = employees * rng.int(150_000, 600_000);
        facts.push({
          year,
          employees,
          insured: kind === 'individual_business' ? rng.int(0, employees) : Math.round(employees * (0.5 + rng.next() * 0.5)),
          revenueBand: revenue < 1e6 ? 'under_1m' : revenue < 1e7 ? 'from_1m_to_10m' : revenue < 1e8 ? 'from_10m_to_100m' : 'over_100m',
          taxPaid: Math.round(revenue * (0.01 + rng.next() * 0.04)),
        });
      }
    }
    return {
      creditCode, name, kind, representativeIdNumber: founder.idNumber, registeredCapital: capital, establishedOn: established, status,
      address: `湖南省永州市${v.countyName}${v.townshipName}${v.placeName}${rng.int(1, 300)}号`, divisionCode: v.code, industryCode,
      businessScope: `${trade}；${rng.pick(['销售', '服务', '咨询', '加工'])}（依法须经批准的项目，经相关部门批准后方可开展经营活动）`,
      shareholders, facts,
    };
  }
}

function base31(n: number, width: number): string {
  let s = '';
  for (let i = 0; i < width; i++, n = Math.floor(n / 31)) s = CHARSET[n % 31] + s;
  return s;
}
