import type { Path } from 'graphql/jsutils/Path.js';
import { HubError } from '../server/errors.js';
import { decideField, type FieldDecision, type Grant, type ResourcePolicy } from './decide-field.js';
import type { Role } from './dev-issuer.js';
import { applyMask, type DisplayMask } from './mask.js';

/** Who is asking: a department system, as its verified token says. */
export interface Principal {
  department: string;
  system: string;
  roles: readonly Role[];
  /**
   * Set for a citizen signed in with a citizen token: their ID number. Such a principal has no
   * roles and no department (`department` is `(citizen)`); it may read its own access log only.
   */
  citizen?: string;
}

/** The department recorded for a citizen principal in the audit trail: never a registered code. */
export const CITIZEN_DEPARTMENT = '(citizen)';

/** Why: the purpose code (`X-Purpose`) and the case it serves (`X-Case-Number`). */
export interface StatedPurpose {
  code: string;
  caseNumber: string;
}

/**
 * Where a value of a `@resource` type leaves the hub: the same for every record (the guard builds
 * one per field of the schema), so that a release allocates nothing of its own.
 */
export interface FieldSite {
  /** Catalogue resource code, from the type's `@resource(code:)`. */
  resource: string;
  /** GraphQL type and field, e.g. `Person` and `idNumber`. */
  type: string;
  field: string;
  /** Whether the field's type is an object type (a cross-link such as `household`), not a data item. */
  linksRecords: boolean;
  /** The catalogue item that decides the value. (Default: `field`) */
  item?: string;
  /** The value is another subject's key (`@identifies`): released, it is recorded as a subject too. */
  identifies?: boolean;
}

/** The resource record holding a value of a non-resource type (`Provenance`), which decides its fields. */
export interface Holder {
  resource: string;
  /** The holder's field the value hangs on, e.g. `provenance`. */
  field: string;
  subject: string | null;
  /** The holder's `@subject` field (its subject key item). */
  subjectItem: string | null;
}

/** How one argument (or input field) of a field reaching resource data is put to the policy. */
export interface ArgumentRoute {
  /** `key`: names a subject of `resource`; `filter`: selects records by `items`. */
  kind: 'key' | 'filter';
  /** Path in the field's arguments, e.g. `['filter', 'name']`, and the same joined by dots. */
  path: string[];
  argument: string;
  resource: string;
  items: string[];
}

/** How a subject key is written in the audit trail: trimmed, upper case (a lowercase x is an X). */
export const subjectKey = (value: string) => value.trim().toUpperCase();

/** What the request has touched, per resource: the audit entry is written from this. */
export interface Touched {
  fields: Set<string>;
  subjects: Set<string>;
}

/** Decisions by resource and item, for data items and for links to other records: one lookup per value, no key built. */
export interface DecisionBook {
  items: Map<string, Map<string, FieldDecision>>;
  links: Map<string, Map<string, FieldDecision>>;
}

export const newDecisionBook = (): DecisionBook => ({ items: new Map(), links: new Map() });

/** Where the policy reads resources and grants: held in memory, never a query per field. */
export interface PolicySource {
  resource(code: string): ResourcePolicy | undefined;
  /** The department's grants on the resource, in any state. */
  grants(department: string, resource: string): readonly Grant[];
  /**
   * The decisions of every request asking as `asker` (department, purpose, day): a decision depends
   * on nothing else, so it is made once, not per request, until the catalogue changes.
   * (Default: a book of the request's own)
   */
  decisionBook?(asker: string): DecisionBook;
}

/** What the response tells the caller in `extensions.access`. */
export interface AccessReport {
  masked: { path: (string | number)[]; rule: DisplayMask }[];
  withheld: { path: (string | number)[]; reason: string }[];
}

/** Today in hub time (Asia/Shanghai, UTC+8 all year): grants run by calendar day. */
export const hubToday = (now = new Date()) => new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

/**
 * One request's dealings with protected data: who asks and why, every resource value released
 * (as the policy decided: clear, masked or withheld), so that the audit entry and the access
 * report are built from what actually left.
 */
export class AccessSession {
  readonly touched = new Map<string, Touched>();
  readonly report: AccessReport = { masked: [], withheld: [] };
  private readonly decisions: DecisionBook;
  private readonly holders = new WeakMap<Path, Holder>();
  private readonly today = hubToday();

  constructor(
    readonly principal: Principal | null,
    readonly purpose: StatedPurpose | null,
    private readonly policy: PolicySource,
  ) {
    const shared = principal && purpose && policy.decisionBook;
    this.decisions = shared ? policy.decisionBook!(`${principal.department}\u0000${purpose.code}\u0000${this.today}`) : newDecisionBook();
  }

  /**
   * Called for every field value of a `@resource` type, with the record's subject (the value of
   * its `@subject` field) and the value's path; returns what the caller may see: the value, its
   * masked form, or `null` (withheld). Throws when nobody or no purpose is stated.
   */
  release(release: FieldSite, subject: string | null, path: Path, value: unknown): unknown {
    const touched = this.touching(release.resource);
    // Whom the request concerned is recorded whatever it was shown; a field only once it is
    // released, in clear or masked (a withheld field did not leave the hub).
    if (subject) touched.subjects.add(subject);
    if (value === null || value === undefined) {
      touched.fields.add(release.field);
      return value;
    }

    const decision = this.decide(release.resource, release.item ?? release.field, release.linksRecords);
    // A cross-link key that leaves, even masked, names the subject it links to.
    const links = () => release.identifies && typeof value === 'string' && touched.subjects.add(subjectKey(value));
    if (decision.effect === 'allow') {
      touched.fields.add(release.field);
      links();
      return value;
    }
    if (decision.effect === 'mask') {
      const masked = applyMask(decision.rule, value);
      if (masked !== null) {
        touched.fields.add(release.field);
        links();
        this.report.masked.push({ path: pathOf(path), rule: decision.rule });
        return masked;
      }
    }
    this.report.withheld.push({ path: pathOf(path), reason: decision.effect === 'withhold' ? decision.reason : 'not-maskable' });
    return null;
  }

  /** A count of resource records (`totalCount`) is an access too: it needs a purpose and is audited. */
  count(resource: string): void {
    this.touching(resource).fields.add('count');
  }

  /**
   * An argument of a field reaching resource data: a key names its subject(s) in the audit entry,
   * found or not; a filter is allowed only on items the caller may see in the clear (a caller who
   * sees names masked must not find persons by name), else `FORBIDDEN` naming the argument.
   */
  consult(route: ArgumentRoute, value: unknown): void {
    const touched = this.touching(route.resource);
    if (route.kind === 'key') {
      for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') touched.subjects.add(subjectKey(v));
    } else {
      for (const item of route.items) {
        const decision = this.decide(route.resource, item, false);
        if (decision.effect !== 'allow') {
          throw new HubError('FORBIDDEN', `${route.argument}: the caller may not select ${route.resource} records by ${item}.`, {
            reason: 'filter-not-granted',
            argument: route.argument,
            item,
          });
        }
      }
    }
    touched.fields.add(`arg:${route.argument}`);
  }

  /**
   * A call this request makes to a source that keeps its data (a lookup), about `subject`: needs a
   * purpose like any access, and is named in the audit entry as `call:<name>:<outcome>` with the
   * outcome the returned function is given (`source`, `cache`, `timeout`, `breaker-open`, ...).
   */
  call(resource: string, name: string, subject: string): (outcome: string) => void {
    const touched = this.touching(resource);
    touched.subjects.add(subjectKey(subject));
    return (outcome) => touched.fields.add(`call:${name}:${outcome}`);
  }

  /** Remembers the record holding a value of a non-resource type, for that value's fields. */
  hold(path: Path, holder: Holder): void {
    this.holders.set(path, holder);
  }

  /** The nearest record above `path` that holds it, if any. */
  holderOf(path: Path): Holder | null {
    for (let p = path.prev; p; p = p.prev) {
      const holder = this.holders.get(p);
      if (holder) return holder;
    }
    return null;
  }

  /** The resource's record of this request; throws when nobody or no purpose is stated. */
  private touching(resource: string): Touched {
    if (!this.principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed to read catalogue resources.');
    if (!this.purpose) throw new HubError('PURPOSE_REQUIRED', 'State the purpose (X-Purpose) and case (X-Case-Number) of the query.');
    let touched = this.touched.get(resource);
    if (!touched) {
      touched = { fields: new Set(), subjects: new Set() };
      this.touched.set(resource, touched);
    }
    return touched;
  }

  private decide(code: string, item: string, linksRecords: boolean): FieldDecision {
    const byResource = linksRecords ? this.decisions.links : this.decisions.items;
    let byItem = byResource.get(code);
    if (!byItem) byResource.set(code, (byItem = new Map()));
    let decision = byItem.get(item);
    if (!decision) {
      const resource = this.policy.resource(code);
      // Fields linking to other records (e.g. `household`, `division`) are no data items: the
      // linked type is a resource of its own and is guarded field by field.
      decision =
        resource && linksRecords && !resource.items.has(item)
          ? ALLOW
          : decideField({
              department: this.principal!.department,
              purpose: this.purpose!.code,
              field: item,
              resource,
              grants: this.policy.grants(this.principal!.department, code),
              today: this.today,
            });
      byItem.set(item, decision);
    }
    return decision;
  }
}

const ALLOW: FieldDecision = { effect: 'allow' };

function pathOf(path: Path): (string | number)[] {
  const keys: (string | number)[] = [];
  for (let p: Path | undefined = path; p; p = p.prev) keys.push(p.key);
  return keys.reverse();
}
