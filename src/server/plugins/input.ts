import {
  getArgumentValues, getNullableType, isInputObjectType, isListType, Kind, TypeInfo, visit,
  visitWithTypeInfo, type DocumentNode, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { parseAsOf } from '../as-of.js';
import { HubError } from '../errors.js';

/**
 * Characters no argument of the contract may carry: C0 controls but tab, line feed and carriage
 * return (which free text such as a `reason` may hold), DEL, C1 controls, and lone UTF-16
 * surrogates (not Unicode at all). PostgreSQL refuses NUL outright, and the others are never part
 * of a name, a code or a reason a person typed.
 */
// With the `u` flag a string is read by code points: a surrogate pair is one code point above
// U+FFFF, so the surrogate range matches lone surrogates only.
const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF]/u;

/** Where a refused character is, as the caller would name it. */
export interface ControlCharacterAt {
  /** The field whose argument it is, e.g. `Query.persons`. */
  field: string;
  /** The argument, with the input fields and list positions inside it, e.g. `filter.name`. */
  argument: string;
  /** The character, as `U+0000`. */
  character: string;
  /** Its position in the string (UTF-16 code units, from 0). */
  position: number;
}

export function findControlCharacter(value: string): { character: string; position: number } | null {
  const match = CONTROL_OR_LONE_SURROGATE.exec(value);
  if (!match) return null;
  const code = match[0].charCodeAt(0);
  return { character: `U+${code.toString(16).toUpperCase().padStart(4, '0')}`, position: match.index };
}

/** True when any string inside a JSON-like value carries a refused character. */
function anyControl(value: unknown): boolean {
  if (typeof value === 'string') return CONTROL_OR_LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(anyControl);
  if (value && typeof value === 'object') return Object.values(value).some(anyControl);
  return false;
}

const DATE_LIKE = /\d{4}-\d{2}-\d{2}/;

/** True when a string inside a JSON-like value could be a date (or carries a refused character). */
function worthWalking(value: unknown): boolean {
  if (typeof value === 'string') return DATE_LIKE.test(value) || CONTROL_OR_LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(worthWalking);
  if (value && typeof value === 'object') return Object.values(value).some(worthWalking);
  return false;
}

/**
 * Which arguments hold dates checked here: `asOf`, everywhere a date or a date-time with offset
 * (as `parseAsOf` reads it), a control argument that no resolver audits or routes. Calendar days
 * of filters and mutations (`YYYY-MM-DD`) are checked by their resolvers with the same `parseDay`
 * or `checkDate`, after the guard has decided the filter and inside the mutation's own trail, so
 * that a refused mutation is still entered with its arguments.
 */
type DateKind = 'as-of' | null;
const dateKindOf = (def: { name: string }): DateKind => (def.name === 'asOf' ? 'as-of' : null);

/** The date check of one value, as the resolvers themselves would make it: a `BAD_USER_INPUT` or null. */
function dateRefusal(kind: DateKind, value: unknown, argument: string): HubError | null {
  if (kind === null || typeof value !== 'string') return null;
  try {
    parseAsOf(value, argument);
    return null;
  } catch (err) {
    if (err instanceof HubError) return err;
    throw err;
  }
}

/**
 * Every argument of an operation, against the schema: the first string value (at any depth of
 * input objects and lists, literal or from a variable) that carries a refused character.
 */
export function inputRefusal(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): HubError | null {
  const typeInfo = new TypeInfo(schema);
  let found: HubError | null = null;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      [Kind.FIELD]: (node) => {
        if (found) return false;
        const field = typeInfo.getFieldDef();
        const parent = typeInfo.getParentType();
        if (!field || !parent || !node.arguments?.length) return;
        let values: Record<string, unknown>;
        try {
          values = getArgumentValues(field, node, variables);
        } catch {
          return; // an invalid value is refused by execution itself, with its own message
        }
        for (const arg of field.args) {
          const hit = walk(arg, values[arg.name], [arg.name], `${parent.name}.${field.name}`);
          if (hit) {
            found = hit;
            return false;
          }
        }
      },
    }),
  );
  return found;
}

interface InputDef {
  name: string;
  description?: string | null;
  type: GraphQLInputType;
}

/** The first refusal inside one argument's value: a control character anywhere, or an impossible date. */
function walk(def: InputDef, value: unknown, path: (string | number)[], field: string, type: GraphQLInputType = def.type): HubError | null {
  if (value === null || value === undefined) return null;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return walk(def, value, path, field, nullable.ofType);
    for (const [i, item] of value.entries()) {
      const hit = walk(def, item, [...path, i], field, nullable.ofType);
      if (hit) return hit;
    }
    return null;
  }
  if (isInputObjectType(nullable)) {
    for (const f of Object.values(nullable.getFields())) {
      const hit = walk(f, (value as Record<string, unknown>)[f.name], [...path, f.name], field);
      if (hit) return hit;
    }
    return null;
  }
  // String, ID, enums, and any custom scalar: whatever string it holds (a JSON scalar's too).
  const strings: string[] = [];
  collectStrings(value, strings);
  const argument = argumentPath(path);
  for (const s of strings) {
    const hit = findControlCharacter(s);
    if (hit) return controlRefusal({ field, argument, ...hit });
  }
  return dateRefusal(dateKindOf(def), value, argument);
}

function collectStrings(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, into);
}

const argumentPath = (path: (string | number)[]) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');

/** Escapes that can write a control character inside a GraphQL string literal (`\u0000`, `\b`, `\f`, `\u{…}`). */
const ESCAPE = /\\[ubf]/;

/**
 * Input is refused at the edge: every string argument of every field, present and future, is
 * checked for control characters once variables are known, before any resolver runs (and so
 * before any SQL), and refused with `BAD_USER_INPUT` naming the field and the argument. So is a
 * moment that does not exist, in every accepted form, on every `asOf`. One mechanism for the whole
 * contract, not a check per resolver.
 *
 * The walk of the document only happens when a variable or the document's text could hold such a
 * value (a control character, a string escape, something shaped like a date); a document's text
 * cannot carry a control character raw (the GraphQL lexer refuses it).
 */
export function useInputEdge(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const variables = (args.variableValues ?? {}) as Record<string, unknown>;
      const source = args.document.loc?.source.body;
      if (!worthWalking(variables) && source !== undefined && !ESCAPE.test(source) && !DATE_LIKE.test(source)) return;
      const refused = inputRefusal(args.schema, args.document, variables);
      if (refused) return setResultAndStopExecution({ errors: [refused] });
      if (anyControl(variables)) {
        // A variable no argument used (validation refuses unused ones; this is the fail-closed rest).
        const name = Object.entries(variables).find(([, v]) => anyControl(v))?.[0] ?? '?';
        setResultAndStopExecution({ errors: [controlRefusal({ field: '(variables)', argument: `$${name}`, character: '?', position: -1 })] });
      }
    },
  };
}

function controlRefusal(at: ControlCharacterAt): HubError {
  return new HubError(
    'BAD_USER_INPUT',
    `${at.argument}: must not contain control characters (${at.character} at position ${at.position} in ${at.field}(${at.argument}))`,
    { argument: at.argument, field: at.field, reason: 'control-character', character: at.character, position: at.position },
  );
}
