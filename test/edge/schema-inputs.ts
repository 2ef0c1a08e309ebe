import {
  getNamedType, getNullableType, isAbstractType, isEnumType, isInputObjectType, isLeafType, isListType, isNonNullType, isObjectType,
  type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLSchema,
} from 'graphql';

/**
 * Walks a schema for tests of the edge: every field argument of every type reachable from the
 * root types, with a document that reaches it (parents' required arguments filled with harmless
 * values), so that a new field or argument is covered without editing the test.
 */

/** One step from the root: a field (with its required arguments filled) or a type condition. */
type Step = { field: GraphQLField<unknown, unknown> } | { on: string };

export interface Reached {
  root: 'query' | 'mutation';
  type: GraphQLObjectType;
  field: GraphQLField<unknown, unknown>;
  steps: Step[];
}

/** Every field of every object type, reached by the shortest path from `Query` or `Mutation`. */
export function reachableFields(schema: GraphQLSchema): Reached[] {
  const out: Reached[] = [];
  const seen = new Set<string>();
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const;
  for (const [root, type] of roots) {
    if (!type) continue;
    const queue: { type: GraphQLNamedType; steps: Step[] }[] = [{ type, steps: [] }];
    while (queue.length) {
      const { type: t, steps } = queue.shift()!;
      const key = `${root}:${t.name}`;
      if (seen.has(key) || t.name.startsWith('__')) continue;
      seen.add(key);
      if (isAbstractType(t)) {
        for (const p of schema.getPossibleTypes(t)) queue.push({ type: p, steps: [...steps, { on: p.name }] });
        continue;
      }
      if (!isObjectType(t)) continue;
      for (const field of Object.values(t.getFields())) {
        out.push({ root, type: t, field, steps });
        const named = getNamedType(field.type);
        // Mutations are reached from the root only: their results are reached again from Query.
        if (!isLeafType(named) && root === 'query') queue.push({ type: named, steps: [...steps, { field }] });
      }
      if (root === 'mutation') break;
    }
  }
  return out;
}

/** A harmless value of a type, for a required argument the test does not vary. */
export function placeholder(type: GraphQLInputType): unknown {
  const t = getNullableType(type);
  if (isListType(t)) return [placeholder(t.ofType)];
  if (isEnumType(t)) return t.getValues()[0].value;
  if (isInputObjectType(t)) {
    const value: Record<string, unknown> = {};
    for (const f of Object.values(t.getFields())) if (isNonNullType(f.type) && f.defaultValue === undefined) value[f.name] = placeholder(f.type);
    return value;
  }
  switch (t.name) {
    case 'Int':
      return 1;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return false;
    default:
      return 'x';
  }
}

const required = (args: readonly GraphQLArgument[]) => args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);

export interface DocumentOptions {
  /** Real values for arguments (of the field or its parents), by `Type.field.argument`. */
  known?: Record<string, unknown>;
  /** The selection on the field's type. (Default: `{ __typename }` on an object, none on a leaf) */
  selection?: string;
}

/**
 * A document reaching `reached.field` with `args` as variables (`$v0`, `$v1`, …), its parents'
 * required arguments as further variables (known values, or harmless placeholders).
 */
export function documentFor(reached: Reached, args: Record<string, unknown>, options: DocumentOptions = {}): { query: string; variables: Record<string, unknown> } {
  const known = options.known ?? {};
  const decls: string[] = [];
  const variables: Record<string, unknown> = {};
  const bind = (arg: GraphQLArgument, value: unknown) => {
    const name = `v${decls.length}`;
    decls.push(`$${name}: ${arg.type.toString()}`);
    variables[name] = value;
    return `${arg.name}: $${name}`;
  };
  const call = (type: string, field: GraphQLField<unknown, unknown>, given: Record<string, unknown>) => {
    const values: Record<string, unknown> = {};
    for (const a of field.args) {
      const id = `${type}.${field.name}.${a.name}`;
      if (a.name in given) values[a.name] = given[a.name];
      else if (id in known) values[a.name] = known[id];
      else if (required([a]).length) values[a.name] = placeholder(a.type);
    }
    const parts = field.args.filter((a) => a.name in values).map((a) => bind(a, values[a.name]));
    return parts.length ? `${field.name}(${parts.join(', ')})` : field.name;
  };
  const selection = options.selection ?? (isLeafType(getNamedType(reached.field.type)) ? '' : '{ __typename }');
  let body = `${call(reached.type.name, reached.field, args)} ${selection}`;
  // Which type each step's field belongs to: the root, then each step's result (or type condition).
  let owner = reached.root === 'query' ? 'Query' : 'Mutation';
  const owners: string[] = [];
  for (const step of reached.steps) {
    if ('on' in step) {
      owner = step.on;
      owners.push('');
    } else {
      owners.push(owner);
      owner = getNamedType(step.field.type).name;
    }
  }
  reached.steps.forEach((_, i) => {
    const j = reached.steps.length - 1 - i;
    const step = reached.steps[j];
    body = 'on' in step ? `... on ${step.on} { ${body} }` : `${call(owners[j], step.field, {})} { ${body} }`;
  });
  const head = decls.length ? `(${decls.join(', ')})` : '';
  return { query: `${reached.root}${head} { ${body} }`, variables };
}

/** A string leaf inside an argument: its path (`filter.name`, `idNumbers[0]`) and a value builder. */
export interface StringLeaf {
  argument: string;
  /** The argument's value with `text` at this leaf (and harmless values elsewhere). */
  valueWith(text: string): unknown;
}

/** Every String or ID leaf of an argument, through input objects and lists. */
export function stringLeaves(arg: GraphQLArgument): StringLeaf[] {
  const leaves: StringLeaf[] = [];
  const visit = (type: GraphQLInputType, path: string, wrap: (inner: (text: string) => unknown) => (text: string) => unknown, depth: number) => {
    const t = getNullableType(type);
    if (depth > 4) return;
    if (isListType(t)) return visit(t.ofType, `${path}[0]`, (inner) => wrap((text) => [inner(text)]), depth + 1);
    if (isInputObjectType(t)) {
      for (const f of Object.values(t.getFields())) {
        visit(f.type, `${path}.${f.name}`, (inner) => wrap((text) => ({ ...(placeholder(t) as object), [f.name]: inner(text) })), depth + 1);
      }
      return;
    }
    if (t.name === 'String' || t.name === 'ID') leaves.push({ argument: path, valueWith: wrap((text) => text) });
  };
  visit(arg.type, arg.name, (inner) => inner, 0);
  return leaves;
}
