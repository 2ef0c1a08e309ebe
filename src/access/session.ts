import type { Path } from 'graphql/jsutils/Path.js';
import type { Role } from './dev-issuer.js';

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
  path: Path;
}

/** What the request has touched, per resource: the audit entry is written from this. */
export interface Touched {
  fields: Set<string>;
  subjects: Set<string>;
}

/**
 * One request's dealings with protected data: who asks and why, and every resource value
 * released, so that the audit entry and the access report are built from what actually left.
 */
export class AccessSession {
  readonly touched = new Map<string, Touched>();

  constructor(
    readonly principal: Principal | null,
    readonly purpose: StatedPurpose | null,
  ) {}

  /** Called for every field value of a `@resource` type; returns what the caller may see. */
  release<T>(release: FieldRelease, value: T): T {
    let touched = this.touched.get(release.resource);
    if (!touched) {
      touched = { fields: new Set(), subjects: new Set() };
      this.touched.set(release.resource, touched);
    }
    touched.fields.add(release.field);
    if (release.subject) touched.subjects.add(release.subject);
    return value;
  }
}
