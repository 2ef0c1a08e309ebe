/** One changed place between two versions of a declaration. */
export interface FieldChange {
  /** e.g. `summary`, `items[idNumber].sensitivity`, `sharing.methods` */
  path: string;
  before: unknown;
  after: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNamedList = (v: unknown): v is { name: string }[] =>
  Array.isArray(v) && v.every((e) => isObject(e) && typeof e.name === 'string');

/**
 * Field-level differences between two declarations. Lists of named entries (data items) are
 * compared by name, so that inserting an item shows as one addition rather than a cascade.
 */
export function diffDeclarations(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])]; // in the order of the new declaration
    return keys.flatMap((k) => diffDeclarations(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (isNamedList(before) && isNamedList(after) && before.length + after.length > 0) {
    const a = new Map(before.map((e) => [e.name, e]));
    const b = new Map(after.map((e) => [e.name, e]));
    const names = [...new Set([...a.keys(), ...b.keys()])];
    const changes = names.flatMap((n) => diffDeclarations(a.get(n), b.get(n), `${path}[${n}]`));
    const order = (l: { name: string }[]) => l.map((e) => e.name).filter((n) => a.has(n) && b.has(n));
    if (JSON.stringify(order(before)) !== JSON.stringify(order(after))) {
      changes.push({ path: `${path}(order)`, before: before.map((e) => e.name), after: after.map((e) => e.name) });
    }
    return changes;
  }
  return [{ path, before: before ?? null, after: after ?? null }];
}
