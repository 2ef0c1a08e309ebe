import { MapperKind, getDirective, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  getNamedType,
  GraphQLNonNull,
  isInputObjectType,
  isLeafType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLInputField,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { schemaReach, type SchemaReach } from './reach.js';
import type { AccessSession, ArgumentRoute, Holder } from './session.js';

interface GuardedContext {
  access: AccessSession;
}

/** How the guard decides one output field; every field reachable from a `@resource` type has one. */
export type GuardDecision =
  | { kind: 'item'; resource: string }
  | { kind: 'held'; item: string }
  | { kind: 'count'; resource: string }
  | { kind: 'structure' }
  | { kind: 'arguments' };

/** Arguments that page or pick a moment: they name no subject and select by no data item. */
export const CONTROL_ARGUMENTS: ReadonlySet<string> = new Set(['first', 'after', 'asOf']);

/** Relay's own fields, which carry no data of their own (the nodes are guarded as they resolve). */
const STRUCTURE: Record<string, ReadonlySet<string>> = {
  Connection: new Set(['edges', 'pageInfo', 'totalCount']),
  Edge: new Set(['node', 'cursor']),
};

const decisions = new WeakMap<GraphQLFieldResolver<unknown, unknown>, { decision: GuardDecision | null; routes: ArgumentRoute[] }>();

/** What the guard decided for a field of a built schema, or `undefined` when it does not guard it. */
export function guardOf(field: GraphQLField<unknown, unknown>): { decision: GuardDecision | null; routes: ArgumentRoute[] } | undefined {
  return field.resolve ? decisions.get(field.resolve) : undefined;
}

/**
 * Routes every value that could carry resource data through the request's access session, so that
 * none reaches a response without a policy decision and an audit record:
 * - every field of a `@resource` type (made nullable: a withheld value never fails its parent);
 * - every field of a type held by resource records (`Provenance`, connections, edges), released as
 *   the holder's item its `@releasedAs` names, or as Relay structure;
 * - `totalCount` of every connection of resource records (a count needs a purpose and is audited);
 * - every argument of a field that reaches resource data: a `@key` names a subject, a `@filters`
 *   selects by items the caller must see in the clear; only paging and moments are free.
 * A field or argument with no decision makes the schema fail to build, naming it.
 */
export function guardResourceFields(schema: GraphQLSchema): GraphQLSchema {
  const reach = schemaReach(schema);
  const gaps: string[] = [];
  const guarded = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const type = schema.getType(typeName) as GraphQLObjectType;
      const original = type.getFields()[fieldName];
      const routes = reach.reaching.has(getNamedType(original.type).name) ? routesOf(schema, typeName, original, gaps) : [];
      const decision = decisionOf(schema, reach, type, original, gaps);
      if (!decision && !routes.length) return field;
      return guard(field, reach, type, original, decision, routes);
    },
  });
  if (gaps.length) throw new Error(`Not decided by the access guard (see hub.graphql's directives):\n- ${gaps.join('\n- ')}`);
  return guarded;
}

function decisionOf(schema: GraphQLSchema, reach: SchemaReach, type: GraphQLObjectType, field: GraphQLField<unknown, unknown>, gaps: string[]): GuardDecision | null {
  const resource = reach.resources.get(type.name);
  if (resource) return { kind: 'item', resource };
  const countOf = type.name.endsWith('Connection') && field.name === 'totalCount' ? nodeResource(reach, type) : null;
  if (countOf) return { kind: 'count', resource: countOf };
  if (!reach.held.has(type.name)) return null;
  const item = (getDirective(schema, field, 'releasedAs')?.[0]?.item ?? getDirective(schema, type, 'releasedAs')?.[0]?.item) as string | undefined;
  if (item) return { kind: 'held', item };
  const suffix = type.name.endsWith('Connection') ? 'Connection' : type.name.endsWith('Edge') ? 'Edge' : null;
  if (type.name === 'PageInfo' || (suffix && STRUCTURE[suffix].has(field.name))) return { kind: 'structure' };
  gaps.push(`${type.name}.${field.name}: a field held by resource records needs @releasedAs(item:)`);
  return null;
}

/** The resource of a connection's nodes (`edges.node`), if they are resource records. */
function nodeResource(reach: SchemaReach, connection: GraphQLObjectType): string | null {
  const edge = getNamedType(connection.getFields().edges?.type);
  const node = isObjectType(edge) ? getNamedType(edge.getFields().node?.type) : null;
  return node ? (reach.resources.get(node.name) ?? null) : null;
}

/** How each argument of a field reaching resource data is routed; unrouted ones are gaps. */
function routesOf(schema: GraphQLSchema, typeName: string, field: GraphQLField<unknown, unknown>, gaps: string[]): ArgumentRoute[] {
  const routes: ArgumentRoute[] = [];
  const visit = (arg: GraphQLArgument | GraphQLInputField, path: string[]) => {
    const key = getDirective(schema, arg, 'key')?.[0] as { resource: string } | undefined;
    const filters = getDirective(schema, arg, 'filters')?.[0] as { resource: string; items: string[] } | undefined;
    const argument = path.join('.');
    if (key) routes.push({ kind: 'key', path, argument, resource: key.resource, items: [] });
    else if (filters) routes.push({ kind: 'filter', path, argument, resource: filters.resource, items: filters.items });
    else if (path.length === 1 && CONTROL_ARGUMENTS.has(arg.name)) return;
    else {
      const input = getNamedType(arg.type);
      if (isInputObjectType(input)) for (const f of Object.values(input.getFields())) visit(f, [...path, f.name]);
      else gaps.push(`${typeName}.${field.name}(${argument}): an argument of a field reaching resource data needs @key or @filters`);
    }
  };
  for (const arg of field.args) visit(arg, [arg.name]);
  return routes;
}

function guard(
  field: GraphQLFieldConfig<unknown, GuardedContext>,
  reach: SchemaReach,
  type: GraphQLObjectType,
  original: GraphQLField<unknown, unknown>,
  decision: GuardDecision | null,
  routes: ArgumentRoute[],
): GraphQLFieldConfig<unknown, GuardedContext> {
  const resolve = field.resolve ?? defaultFieldResolver;
  const consult = (args: Record<string, unknown>, access: AccessSession) => {
    for (const route of routes) {
      const value = valueAt(args, route.path);
      if (value !== null && value !== undefined) access.consult(route, value);
    }
  };
  const named = getNamedType(original.type);
  let guarded: GraphQLFieldResolver<unknown, GuardedContext>;
  let nullable = false;

  if (decision?.kind === 'item') {
    nullable = true;
    const at = {
      resource: decision.resource,
      type: type.name,
      field: original.name,
      subjectField: subjectFieldOf(type),
      linksRecords: !isLeafType(named),
      identifies: hasDirective(original, 'identifies'),
      holds: isObjectType(named) && reach.held.has(named.name),
    };
    guarded = (parent, args, context, info) => {
      consult(args, context.access);
      const subject = at.subjectField ? (((parent as Record<string, unknown>)[at.subjectField] as string | null) ?? null) : null;
      const release = (value: unknown) => {
        const out = context.access.release(at, subject, info.path, value);
        if (at.holds && out !== null && out !== undefined) {
          context.access.hold(info.path, { resource: at.resource, field: at.field, subject, subjectItem: at.subjectField });
        }
        return out;
      };
      const value = resolve(parent, args, context, info);
      return value instanceof Promise ? value.then(release) : release(value);
    };
  } else if (decision?.kind === 'held') {
    nullable = true;
    // An edge's own data (e.g. a distance) is decided by its node's resource; anything else by the record holding it.
    const edgeNode = type.name.endsWith('Edge') ? getNamedType(type.getFields().node?.type) : null;
    const nodeResourceCode = edgeNode ? reach.resources.get(edgeNode.name) : undefined;
    const nodeSubject = edgeNode && isObjectType(edgeNode) ? subjectFieldOf(edgeNode) : null;
    const item = decision.item;
    const identifies = hasDirective(original, 'identifies');
    guarded = (parent, args, context, info) => {
      consult(args, context.access);
      let holder: Holder | null;
      if (nodeResourceCode) {
        const node = (parent as { node?: Record<string, unknown> }).node;
        holder = { resource: nodeResourceCode, field: 'edge', subject: nodeSubject ? ((node?.[nodeSubject] as string) ?? null) : null, subjectItem: nodeSubject };
      } else holder = context.access.holderOf(info.path);
      const value = resolve(parent, args, context, info);
      // Not held by a resource record (e.g. `economicIndicators`): the type is not resource data there.
      if (!holder) return value;
      const release = (v: unknown) =>
        context.access.release(
          {
            resource: holder.resource,
            type: type.name,
            field: `${holder.field}.${original.name}`,
            item: item === '@subject' ? (holder.subjectItem ?? '@subject') : item,
            linksRecords: false,
            identifies,
          },
          holder.subject,
          info.path,
          v,
        );
      return value instanceof Promise ? value.then(release) : release(value);
    };
  } else if (decision?.kind === 'count') {
    const resource = decision.resource;
    guarded = (parent, args, context, info) => {
      context.access.count(resource);
      return resolve(parent, args, context, info);
    };
  } else {
    guarded = (parent, args, context, info) => {
      consult(args, context.access);
      return resolve(parent, args, context, info);
    };
  }
  decisions.set(guarded as GraphQLFieldResolver<unknown, unknown>, { decision: decision ?? { kind: 'arguments' }, routes });
  const fieldType = nullable && isNonNullType(field.type) ? (field.type as GraphQLNonNull<never>).ofType : field.type;
  return { ...field, type: fieldType, resolve: guarded };
}

function hasDirective(field: GraphQLField<unknown, unknown>, name: string): boolean {
  return !!field.astNode?.directives?.some((d) => d.name.value === name);
}

function subjectFieldOf(type: GraphQLObjectType): string | null {
  for (const field of Object.values(type.getFields())) if (hasDirective(field, 'subject')) return field.name;
  return null;
}

function valueAt(args: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = args;
  for (const key of path) {
    if (value === null || value === undefined || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
