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
}

/** Why: the purpose code (`X-Purpose`) and the case it serves (`X-Case-Number`). */
export interface StatedPurpose {
  code: string;
  caseNumber: string;
}

/** One value of a `@resource` type on its way out of the hub. */
export interface FieldRelease {
  /** Catalogue resource code, from the type's `@resource(code:)`. */
  resource: string;
  /** GraphQL type and field, e.g. `Person` and `idNumber`. */
  type: string;
  field: string;
  /** Value of the type's `@subject` field on the same record, if it has one. */
  subject: string | null;
  /** Whether the field's type is an object type (a cross-link such as `household`), not a data item. */
  linksRecords: boolean;
  path: Path;
}

/** What the request has touched, per resource: the audit entry is written from this. */
export interface Touched {
  fields: Set<string>;
  subjects: Set<string>;
}

/** Where the policy reads resources and grants: held in memory, never a query per field. */
export interface PolicySource {
  resource(code: string): ResourcePolicy | undefined;
  /** The department's grants on the resource, in any state. */
  grants(department: string, resource: string): readonly Grant[];
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
  private readonly decisions = new Map<string, FieldDecision>();
  private readonly today = hubToday();

  constructor(
    readonly principal: Principal | null,
    readonly purpose: StatedPurpose | null,
    private readonly policy: PolicySource,
  ) {}

  /**
   * Called for every field value of a `@resource` type; returns what the caller may see: the
   * value, its masked form, or `null` (withheld). Throws when nobody or no purpose is stated.
   */
  release(release: FieldRelease, value: unknown): unknown {
    if (!this.principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed to read catalogue resources.');
    if (!this.purpose) throw new HubError('PURPOSE_REQUIRED', 'State the purpose (X-Purpose) and case (X-Case-Number) of the query.');
    let touched = this.touched.get(release.resource);
    if (!touched) {
      touched = { fields: new Set(), subjects: new Set() };
      this.touched.set(release.resource, touched);
    }
    // Whom the request concerned is recorded whatever it was shown; a field only once it is
    // released, in clear or masked (a withheld field did not leave the hub).
    if (release.subject) touched.subjects.add(release.subject);
    if (value === null || value === undefined) {
      touched.fields.add(release.field);
      return value;
    }

    const decision = this.decide(release);
    if (decision.effect === 'allow') {
      touched.fields.add(release.field);
      return value;
    }
    if (decision.effect === 'mask') {
      const masked = applyMask(decision.rule, value);
      if (masked !== null) {
        touched.fields.add(release.field);
        this.report.masked.push({ path: pathOf(release.path), rule: decision.rule });
        return masked;
      }
    }
    this.report.withheld.push({ path: pathOf(release.path), reason: decision.effect === 'withhold' ? decision.reason : 'not-maskable' });
    return null;
  }

  private decide(release: FieldRelease): FieldDecision {
    const key = `${release.resource}\u0000${release.field}`;
    let decision = this.decisions.get(key);
    if (!decision) {
      const resource = this.policy.resource(release.resource);
      // Fields linking to other records (e.g. `household`, `division`) are no data items: the
      // linked type is a resource of its own and is guarded field by field.
      decision =
        resource && release.linksRecords && !resource.items.has(release.field)
          ? ALLOW
          : decideField({
              department: this.principal!.department,
              purpose: this.purpose!.code,
              field: release.field,
              resource,
              grants: this.policy.grants(this.principal!.department, release.resource),
              today: this.today,
            });
      this.decisions.set(key, decision);
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
