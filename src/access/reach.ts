import { getDirective } from '@graphql-tools/utils';
import { getNamedType, isAbstractType, isInterfaceType, isObjectType, type GraphQLNamedType, type GraphQLSchema } from 'graphql';

/** What the guard needs to know of a schema's shape, computed once per schema. */
export interface SchemaReach {
  /** `@resource` object types by name, with their resource code. */
  resources: ReadonlyMap<string, string>;
  /** Types from which a `@resource` type can be reached (those types included, and abstract types that may be one). */
  reaching: ReadonlySet<string>;
  /** Object types that are not resources but are reachable from a resource type (`Provenance`, connections, ...). */
  held: ReadonlySet<string>;
}

const cache = new WeakMap<GraphQLSchema, SchemaReach>();

const childTypes = (schema: GraphQLSchema, type: GraphQLNamedType): GraphQLNamedType[] => {
  if (isAbstractType(type)) return [...schema.getPossibleTypes(type)];
  if (isObjectType(type) || isInterfaceType(type)) return Object.values(type.getFields()).map((f) => getNamedType(f.type));
  return [];
};

export function schemaReach(schema: GraphQLSchema): SchemaReach {
  const known = cache.get(schema);
  if (known) return known;
  const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__'));
  const resources = new Map<string, string>();
  for (const type of types) {
    const code = isObjectType(type) ? (getDirective(schema, type, 'resource')?.[0]?.code as string | undefined) : undefined;
    if (code) resources.set(type.name, code);
  }
  // Fixed point: a type reaches resource data when one of its field (or member) types does.
  const reaching = new Set(resources.keys());
  for (let grew = true; grew; ) {
    grew = false;
    for (const type of types) {
      if (reaching.has(type.name)) continue;
      if (childTypes(schema, type).some((t) => reaching.has(t.name))) {
        reaching.add(type.name);
        grew = true;
      }
    }
  }
  const held = new Set<string>();
  const queue = [...resources.keys()].map((n) => schema.getType(n)!);
  const seen = new Set<string>();
  while (queue.length) {
    const type = queue.pop()!;
    if (seen.has(type.name)) continue;
    seen.add(type.name);
    for (const child of childTypes(schema, type)) {
      if (isObjectType(child) && !resources.has(child.name)) held.add(child.name);
      queue.push(child);
    }
  }
  const reach = { resources, reaching, held };
  cache.set(schema, reach);
  return reach;
}
