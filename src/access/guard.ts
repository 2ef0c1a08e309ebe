import { MapperKind, getDirective, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, getNamedType, isLeafType, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import type { AccessSession } from './session.js';

interface GuardedContext {
  access: AccessSession;
}

/**
 * Routes every field of every `@resource` type through the request's access session, so that no
 * resource value reaches a response without a policy decision and an audit record.
 */
export function guardResourceFields(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName, mapped) => {
      const type = mapped.getType(typeName);
      if (!type) return field;
      const resource = getDirective(mapped, type as never, 'resource')?.[0]?.code as string | undefined;
      if (!resource) return field;
      const subjectField = subjectFieldOf(mapped, typeName);
      const linksRecords = !isLeafType(getNamedType(field.type));
      return guard(field, { resource, type: typeName, field: fieldName, subjectField, linksRecords });
    },
  });
}

function subjectFieldOf(schema: GraphQLSchema, typeName: string): string | null {
  const type = schema.getType(typeName) as { getFields(): Record<string, unknown> } | undefined;
  for (const [name, field] of Object.entries(type?.getFields() ?? {})) {
    if (getDirective(schema, field as never, 'subject')?.length) return name;
  }
  return null;
}

function guard(
  field: GraphQLFieldConfig<unknown, GuardedContext>,
  at: { resource: string; type: string; field: string; subjectField: string | null; linksRecords: boolean },
): GraphQLFieldConfig<unknown, GuardedContext> {
  const resolve = field.resolve ?? defaultFieldResolver;
  return {
    ...field,
    resolve(parent, args, context, info) {
      const subject = at.subjectField ? ((parent as Record<string, unknown>)[at.subjectField] as string | null) ?? null : null;
      const release = (value: unknown) =>
        context.access.release(
          { resource: at.resource, type: at.type, field: at.field, subject, linksRecords: at.linksRecords, path: info.path },
          value,
        );
      const value = resolve(parent, args, context, info);
      return value instanceof Promise ? value.then(release) : release(value);
    },
  };
}
