import type { PersonRow } from '../registries/population/queries.js';
import { areaOf, type IncomeRule, type Scheme, type SchemeItem, type Standard } from './scheme.js';
import {
  isUnavailable, type DepartmentRecords, type FinancialAssets, type Gathered, type Holding, type OwnedHome, type RegisterHousehold, type Unavailable,
} from './sources.js';

/**
 * The rules, pure: from what was gathered to a verdict with per-item evidence. No I/O here, so that
 * every rule is tested on hand-built values and a stored verification can be re-read exactly.
 */

export type Verdict = 'ELIGIBLE' | 'NOT_ELIGIBLE' | 'INCOMPLETE';
/** 低保, 低保边缘 (marginal), neither, or not known (income incomplete). */
export type Category = 'DIBAO' | 'MARGINAL' | 'NONE' | 'UNKNOWN';
/** `COUNTED`: an income component (its value enters the income test); `NOTED`: evidence with no rule of its own. */
export type Outcome = 'PASS' | 'FAIL' | 'UNAVAILABLE' | 'COUNTED' | 'NOTED';
export type MemberStatus = 'LIVING' | 'DECEASED' | 'MOVED_OUT' | 'UNKNOWN' | 'INVALID_ID';
export type DifferenceKind = 'NOT_DECLARED' | 'NOT_IN_REGISTER' | 'DECEASED' | 'INVALID_ID' | 'OTHER_HOUSEHOLD';

export interface MemberResult {
  idNumber: string;
  name: string | null;
  status: MemberStatus;
  relationToHead: string | null;
  declared: boolean;
  /** In the applicant's register household. */
  inRegisterHousehold: boolean;
  /** Counted in the household (its income and assets gathered). */
  counted: boolean;
  reason: string | null;
}

export interface Difference {
  idNumber: string;
  kind: DifferenceKind;
  description: string;
}

export interface ItemResult {
  no: number;
  key: string;
  title: string;
  department: string;
  resource: string;
  system: string;
  asOf: string | null;
  version: string | null;
  rule: string;
  outcome: Outcome;
  /** The value judged, as JSON text (per member where gathered per member). */
  value: string | null;
  /** Why it passed, failed or is unavailable, in a sentence. */
  reason: string;
}

export interface IncomeResult {
  householdMonthly: number | null;
  perCapitaMonthly: number | null;
  standardMonthly: number | null;
  marginLimit: number | null;
  pass: boolean | null;
}

export interface Decision {
  verdict: Verdict;
  category: Category;
  area: 'urban' | 'rural';
  divisionCode: string | null;
  householdNumber: string | null;
  householdSize: number;
  standard: Standard | null;
  income: IncomeResult;
  members: MemberResult[];
  differences: Difference[];
  items: ItemResult[];
}

export interface Household {
  members: MemberResult[];
  differences: Difference[];
  /** The ID numbers whose data is gathered. */
  counted: string[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const FAILING: ReadonlySet<DifferenceKind> = new Set(['NOT_DECLARED', 'NOT_IN_REGISTER', 'DECEASED', 'INVALID_ID']);

/**
 * The household to verify: the applicant and every declared member who is a known, living person,
 * plus living members of the applicant's register household who were not declared (they are part
 * of it whether declared or not). A declared spouse registered elsewhere is counted and noted.
 */
export function composeHousehold(applicant: string, declared: readonly string[], register: RegisterHousehold, validId: (id: string) => boolean): Household {
  const members = new Map<string, MemberResult>();
  const differences: Difference[] = [];
  const registerIds = new Set(register.members.map((m) => m.idNumber));
  const statusOf = (p: PersonRow): MemberStatus => (p.status === 'deceased' ? 'DECEASED' : p.status === 'moved_out' ? 'MOVED_OUT' : 'LIVING');
  const add = (id: string, isDeclared: boolean) => {
    if (members.has(id)) return;
    if (!validId(id)) {
      members.set(id, { idNumber: id, name: null, status: 'INVALID_ID', relationToHead: null, declared: isDeclared, inRegisterHousehold: false, counted: false, reason: 'not a valid citizen ID number (GB 11643)' });
      differences.push({ idNumber: id, kind: 'INVALID_ID', description: '申报的身份证号码无效 (invalid ID number declared)' });
      return;
    }
    const person = id === applicant ? register.applicant : (register.declared.get(id) ?? null);
    if (!person) {
      members.set(id, { idNumber: id, name: null, status: 'UNKNOWN', relationToHead: null, declared: isDeclared, inRegisterHousehold: false, counted: false, reason: 'not in the population register' });
      differences.push({ idNumber: id, kind: 'NOT_IN_REGISTER', description: '申报成员在人口库中不存在 (declared member not in the register)' });
      return;
    }
    const status = statusOf(person);
    const inRegister = registerIds.has(id);
    const counted = status === 'LIVING';
    members.set(id, {
      idNumber: id, name: person.name, status, relationToHead: person.relationToHead, declared: isDeclared, inRegisterHousehold: inRegister, counted,
      reason: status === 'DECEASED' ? 'deceased (population register)' : status === 'MOVED_OUT' ? 'moved out of the register' : null,
    });
    if (status === 'DECEASED') differences.push({ idNumber: id, kind: 'DECEASED', description: '申报成员已死亡 (declared member is deceased)' });
    else if (counted && !inRegister && id !== applicant) {
      differences.push({ idNumber: id, kind: 'OTHER_HOUSEHOLD', description: '申报成员户籍在其他户 (registered in another household; counted)' });
    }
  };
  add(applicant, true);
  for (const id of declared) add(id, true);
  for (const m of register.members) {
    if (members.has(m.idNumber) || m.status !== 'living') continue;
    members.set(m.idNumber, { idNumber: m.idNumber, name: m.name, status: 'LIVING', relationToHead: m.relationToHead, declared: false, inRegisterHousehold: true, counted: true, reason: 'in the register household, not declared' });
    differences.push({ idNumber: m.idNumber, kind: 'NOT_DECLARED', description: '户籍成员未申报 (living register member not declared; counted)' });
  }
  const list = [...members.values()];
  return { members: list, differences, counted: list.filter((m) => m.counted).map((m) => m.idNumber) };
}

/** Gathered values of the items, by item key. */
export type GatheredItems = Map<string, Gathered<unknown> | Unavailable>;

interface Context {
  scheme: Scheme;
  standard: Standard;
  monthly: number;
  onDate: string;
  size: number;
  members: readonly string[];
  gathered: GatheredItems;
}

/** The income period: the `months` complete calendar months before the check date, as `[from, to)` days. */
export function incomePeriod(onDate: string, months: number): { from: string; to: string } {
  const to = `${onDate.slice(0, 7)}-01`;
  const d = new Date(`${to}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - months);
  return { from: d.toISOString().slice(0, 10), to };
}

/** A record's date as a day (`YYYY` → its 1 January, `YYYY-MM` → the 1st), or null. */
const dayOf = (v: unknown): string | null => {
  if (typeof v === 'number' && Number.isInteger(v)) return `${v}-01-01`;
  if (typeof v !== 'string') return null;
  if (/^\d{4}$/.test(v)) return `${v}-01-01`;
  if (/^\d{4}-\d{2}$/.test(v)) return `${v}-01`;
  return /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : null;
};

/**
 * One income item per member as monthly figures, or the reason it cannot be read: a record that
 * should count but lacks its number is not read as zero.
 */
function monthlyPerMember(item: SchemeItem, records: DepartmentRecords, ctx: Context): Record<string, number> | string {
  const rule = item.rule as IncomeRule;
  const resource = item.source.kind === 'department-record' ? item.source.resources[0] : item.resource;
  const { from, to } = incomePeriod(ctx.onDate, ctx.scheme.incomePeriodMonths);
  const out: Record<string, number> = {};
  for (const m of ctx.members) {
    const matching = (records[resource]?.[m] ?? []).filter((r) => !rule.where || Object.entries(rule.where).every(([k, vs]) => vs.includes(String(r[k]))));
    const dated = matching.map((r) => ({ r, day: rule.date ? dayOf(r[rule.date]) : null }));
    if (rule.date && dated.some((d) => d.day === null)) return `a ${resource} record has no readable ${rule.date}`;
    const amount = (r: Record<string, unknown>) => {
      const n = Number(r[rule.field]);
      const less = rule.minus === undefined ? 0 : Number(r[rule.minus] ?? 0);
      return Number.isFinite(n) && Number.isFinite(less) && r[rule.field] !== null && r[rule.field] !== '' ? n - less : null;
    };
    let value = 0;
    if (rule.aggregate === 'period-average') {
      const inPeriod = dated.filter((d) => d.day === null || (d.day >= from && d.day < to));
      let sum = 0;
      for (const { r } of inPeriod) {
        const n = amount(r);
        if (n === null) return `a ${resource} record has no number in ${rule.field}`;
        sum += n;
      }
      value = sum / ctx.scheme.incomePeriodMonths;
    } else {
      const current = dated.filter((d) => d.day === null || d.day <= ctx.onDate);
      const latest = current.map((d) => d.day ?? '').sort().at(-1);
      for (const { r, day } of current) {
        if ((day ?? '') !== latest) continue;
        const n = amount(r);
        if (n === null) return `a ${resource} record has no number in ${rule.field}`;
        value = Math.max(value, n);
      }
    }
    out[m] = round2(value);
  }
  return out;
}

const json = (v: unknown) => JSON.stringify(v);

/** A disability certificate is valid on a day when it has no end or ends on or after it. */
const validCertificate = (c: Record<string, unknown>, onDate: string) => !c.validUntil || String(c.validUntil) >= onDate;

/** Judges every item and the household; the verdict is `INCOMPLETE` whenever any item could not be gathered. */
export function decide(scheme: Scheme, input: {
  household: Household;
  register: Gathered<RegisterHousehold>;
  gathered: GatheredItems;
  standard: Standard | null;
  onDate: string;
}): Decision {
  const { household, register, gathered, standard, onDate } = input;
  const divisionCode = register.value.divisionCode;
  const area = divisionCode ? areaOf(divisionCode) : 'urban';
  const size = household.counted.length;
  const items: ItemResult[] = [];
  const base = (item: SchemeItem, g: Gathered<unknown> | Unavailable | null) => ({
    no: item.no, key: item.key, title: item.title, department: item.department, resource: item.resource,
    system: g ? g.system : 'population', asOf: g && !isUnavailable(g) ? g.asOf : null, version: g && !isUnavailable(g) ? g.version : null,
    rule: item.rule.description,
  });
  const monthly = standard ? (area === 'urban' ? standard.urbanMonthly : standard.ruralMonthly) : 0;
  const ctx: Context | null = standard ? { scheme, standard, monthly, onDate, size, members: household.counted, gathered } : null;
  const wages: Record<string, number[]> = Object.fromEntries(household.counted.map((m) => [m, [0]]));
  let transfers = 0;
  let deductions = 0;
  let incomeComplete = true;
  const hasCertificate = (m: string): boolean | null => {
    const g = gathered.get('disability');
    if (!g || isUnavailable(g)) return null;
    return ((g.value as DepartmentRecords)['disabled-federation.certificate']?.[m] ?? []).some((c) => validCertificate(c, onDate));
  };

  for (const item of scheme.items) {
    if (item.rule.kind === 'household-matches') {
      const failing = household.differences.filter((d) => FAILING.has(d.kind));
      items.push({
        ...base(item, register), system: register.system,
        outcome: failing.length ? 'FAIL' : 'PASS',
        value: json({ householdNumber: register.value.householdNumber, counted: household.counted, differences: household.differences.map((d) => ({ idNumber: d.idNumber, kind: d.kind })) }),
        reason: failing.length ? `declaration differs from the register: ${failing.map((d) => d.kind).join(', ')}` : 'declared members match the register',
      });
      continue;
    }
    const g = gathered.get(item.key) ?? null;
    if (!g || isUnavailable(g) || !ctx) {
      if (item.rule.kind === 'income') incomeComplete = false;
      items.push({ ...base(item, g), outcome: 'UNAVAILABLE', value: null, reason: !ctx ? `no standard in force for ${divisionCode ?? 'the household'} on ${onDate}` : g && isUnavailable(g) ? g.reason : 'not gathered' });
      continue;
    }
    const rule = item.rule;
    switch (rule.kind) {
      case 'income': {
        const per = monthlyPerMember(item, g.value as DepartmentRecords, ctx);
        if (typeof per === 'string') {
          incomeComplete = false;
          items.push({ ...base(item, g), outcome: 'UNAVAILABLE', value: null, reason: per });
          break;
        }
        for (const [m, n] of Object.entries(per)) {
          if (rule.component === 'wage') wages[m].push(n);
          else if (rule.component === 'transfer') transfers += n;
          else deductions += n;
        }
        items.push({ ...base(item, g), outcome: 'COUNTED', value: json(per), reason: `${rule.component} per member, yuan per month` });
        break;
      }
      case 'no-ordinary-vehicle': {
        const records = (g.value as DepartmentRecords)['vehicles.vehicle'] ?? {};
        const offending: string[] = [];
        let exemptionUnknown = false;
        const inUse = (v: Record<string, unknown>) => v.status === undefined || v.status === null || v.status === 'normal';
        for (const m of household.counted) {
          for (const v of (records[m] ?? []).filter(inUse)) {
            if (!rule.ordinaryTypes.includes(String(v.vehicleType))) continue; // trucks, motorcycles, tricycles: working vehicles
            const value = v.value === undefined || v.value === null ? Number.NaN : Number(v.value);
            if (Number.isFinite(value) && (value < ctx.standard.lowValueVehicleMax || value <= ctx.standard.ordinaryVehicleValueMax)) continue;
            if (ctx.standard.disabilityVehicleExemption) {
              const cert = hasCertificate(m);
              if (cert === null) exemptionUnknown = true;
              if (cert) continue;
            }
            offending.push(String(v.plateNumber ?? v.plate ?? '?'));
          }
        }
        const value = json(Object.fromEntries(household.counted.map((m) => [m, (records[m] ?? []).map((v) => ({ plateNumber: v.plateNumber, vehicleType: v.vehicleType, status: v.status ?? null, value: v.value ?? null, disabilityExempt: !!hasCertificate(m) }))])));
        if (offending.length) items.push({ ...base(item, g), outcome: 'FAIL', value, reason: `ordinary vehicle(s) owned: ${offending.join(', ')}` });
        else if (exemptionUnknown) items.push({ ...base(item, g), outcome: 'UNAVAILABLE', value, reason: 'a vehicle depends on the disability exemption, which could not be checked' });
        else items.push({ ...base(item, g), outcome: 'PASS', value, reason: 'no ordinary vehicle in use, or every one exempt' });
        break;
      }
      case 'homes-within-limit': {
        const owned = g.value as Record<string, OwnedHome[]>;
        const homes = new Set<string>();
        let area = 0;
        for (const m of household.counted) {
          for (const u of owned[m] ?? []) {
            if (u.usage !== 'residential' && u.usage !== 'homestead') continue;
            homes.add(u.unitNumber);
            area += (u.floorArea ?? 0) * (u.share / 100);
          }
        }
        const perPerson = size ? round2(area / size) : 0;
        const fail = homes.size > ctx.standard.homesMax || perPerson > ctx.standard.areaPerPersonMax;
        items.push({
          ...base(item, g), outcome: fail ? 'FAIL' : 'PASS', value: json({ homes: homes.size, floorArea: round2(area), perPerson, units: [...homes] }),
          reason: `${homes.size} home(s) (limit ${ctx.standard.homesMax}), ${perPerson} m² per person (limit ${ctx.standard.areaPerPersonMax})`,
        });
        break;
      }
      case 'no-operating-shareholding': {
        const held = g.value as Record<string, Holding[]>;
        const all = household.counted.flatMap((m) => (held[m] ?? []).map((h) => ({ member: m, ...h })));
        const unknown = all.filter((h) => h.status === null);
        const operating = all.filter((h) => h.status === 'in_business' && h.kind !== 'cooperative');
        const value = json(all.map((h) => ({ member: h.member, creditCode: h.creditCode, name: h.name, status: h.status, share: h.share })));
        if (operating.length && !ctx.standard.operatingShareholdingAllowed) items.push({ ...base(item, g), outcome: 'FAIL', value, reason: `shareholding in operating enterprise(s): ${operating.map((h) => h.creditCode).join(', ')}` });
        else if (unknown.length) items.push({ ...base(item, g), outcome: 'UNAVAILABLE', value, reason: 'an enterprise held is not in the legal-entity register' });
        else items.push({ ...base(item, g), outcome: 'PASS', value, reason: all.length ? 'no operating enterprise held' : 'no shareholdings' });
        break;
      }
      case 'no-duplicate-assistance': {
        const v = g.value as DepartmentRecords;
        const assistance = v['civil-affairs.assistance'] ?? {};
        const marriage = v['civil-affairs.marriage'] ?? {};
        const applicant = household.members[0]?.idNumber;
        const active = (a: Record<string, unknown>) =>
          (a.kind === 'dibao' || a.kind === 'tekun') && (!a.startsOn || String(a.startsOn) <= onDate) && (!a.endsOn || String(a.endsOn) >= onDate);
        // A member heading a 低保/特困 case of their own is assisted in another household.
        const duplicates = household.counted.filter((m) => m !== applicant && (assistance[m] ?? []).some(active));
        // A registration is found by either party (the declaration's `foundBy`): the spouse is whichever party the member is not.
        const spouseIn = (r: Record<string, unknown>, m: string) =>
          String(r.otherPartyIdNumber ?? '').toUpperCase() === m ? (r.partyIdNumber ?? null) : (r.otherPartyIdNumber ?? null);
        const marriages = Object.fromEntries(household.counted.map((m) => [m, (marriage[m] ?? []).map((r) => ({ kind: r.kind, registeredOn: r.registeredOn, otherPartyIdNumber: spouseIn(r, m) }))]));
        const latestSpouse = (m: string) => {
          const last = [...(marriage[m] ?? [])].sort((x, y) => String(x.registeredOn).localeCompare(String(y.registeredOn))).at(-1);
          return last?.kind === 'marriage' ? String(spouseIn(last, m) ?? '') : null;
        };
        const undeclaredSpouses = household.counted.map(latestSpouse).filter((s): s is string => !!s && !household.counted.includes(s));
        const value = json({
          assistance: Object.fromEntries(household.counted.map((m) => [m, (assistance[m] ?? []).map((a) => ({ caseNumber: a.caseNumber, kind: a.kind, startsOn: a.startsOn, endsOn: a.endsOn ?? null, active: active(a) }))])),
          marriages,
        });
        const noted = undeclaredSpouses.length ? `; married per the register to ${undeclaredSpouses.join(', ')}, not counted in the household` : '';
        items.push({
          ...base(item, g), outcome: duplicates.length ? 'FAIL' : 'PASS', value,
          reason: (duplicates.length ? `already assisted in another household: ${duplicates.join(', ')}` : 'no assistance in another household') + noted,
        });
        break;
      }
      case 'exemption': {
        const certs = (g.value as DepartmentRecords)['disabled-federation.certificate'] ?? {};
        const value = json(Object.fromEntries(household.counted.map((m) => [m, (certs[m] ?? []).map((c) => ({ grade: c.grade, category: c.category, validUntil: c.validUntil ?? null, valid: validCertificate(c, onDate) }))])));
        const holders = household.counted.filter((m) => (certs[m] ?? []).some((c) => validCertificate(c, onDate)));
        items.push({ ...base(item, g), outcome: 'NOTED', value, reason: holders.length ? `${holders.length} member(s) hold a disability certificate` : 'no disability certificate' });
        break;
      }
      case 'financial-within-limit': {
        const assets = g.value as Record<string, FinancialAssets>;
        const total = household.counted.reduce((s, m) => s + assets[m].deposits + assets[m].wealthProducts + assets[m].securities, 0);
        const perPerson = size ? round2(total / size) : 0;
        const limit = round2(ctx.standard.financialAssetMonths * monthly);
        items.push({
          ...base(item, g), outcome: perPerson > limit ? 'FAIL' : 'PASS', value: json({ total: round2(total), perPerson, limit, members: assets }),
          reason: `${perPerson} yuan per person (limit ${limit}: ${ctx.standard.financialAssetMonths} months of ${monthly})`,
        });
        break;
      }
      default: {
        const never: never = rule;
        throw new Error(`unknown rule ${(never as { kind: string }).kind}`);
      }
    }
  }

  let income: IncomeResult = { householdMonthly: null, perCapitaMonthly: null, standardMonthly: standard ? monthly : null, marginLimit: standard ? round2(monthly * standard.marginMultiplier) : null, pass: null };
  if (ctx && incomeComplete && size > 0) {
    const wage = household.counted.reduce((s, m) => s + Math.max(...wages[m]), 0);
    const householdMonthly = round2(Math.max(0, wage + transfers - deductions));
    const perCapita = round2(householdMonthly / size);
    income = { ...income, householdMonthly, perCapitaMonthly: perCapita, pass: perCapita < monthly };
  }
  const anyUnavailable = items.some((i) => i.outcome === 'UNAVAILABLE') || income.pass === null;
  const anyFail = items.some((i) => i.outcome === 'FAIL') || income.pass === false;
  const verdict: Verdict = anyUnavailable ? 'INCOMPLETE' : anyFail ? 'NOT_ELIGIBLE' : 'ELIGIBLE';
  const assetsPass = !items.some((i) => i.outcome === 'FAIL');
  const category: Category =
    income.perCapitaMonthly === null || income.marginLimit === null || anyUnavailable
      ? 'UNKNOWN'
      : !assetsPass ? 'NONE' : income.perCapitaMonthly < monthly ? 'DIBAO' : income.perCapitaMonthly < income.marginLimit ? 'MARGINAL' : 'NONE';
  return {
    verdict, category, area, divisionCode, householdNumber: register.value.householdNumber, householdSize: size, standard, income,
    members: household.members, differences: household.differences, items,
  };
}
