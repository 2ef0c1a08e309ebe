import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// RFC 8785 (JSON Canonicalization Scheme). The package is CommonJS (`module.exports = fn`) but its
// types declare an ES default export, which TypeScript then reads as `{ default }`.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string;

/** Hash the first entry links to. */
export const GENESIS_HASH = '0'.repeat(64);

/** One resource an access touched: the fields released and whom they were about. */
export interface ResourceAccess {
  resource: string;
  fields: string[];
  subjects: string[];
}

/** What a request did with protected data, before the chain gives it a place. */
export interface AuditDraft {
  at: Date;
  department: string;
  system: string;
  roles: string[];
  purpose: string | null;
  caseNumber: string | null;
  operationName: string | null;
  /** SHA-256 of the printed operation document. */
  documentHash: string;
  /** Sorted by resource; fields and subjects sorted and unique. */
  resources: ResourceAccess[];
  /** Every subject of every resource, sorted and unique (the data tracker's index). */
  subjects: string[];
  /** Bytes of the response's `data`, as JSON. */
  resultSize: number;
  /** `ok`, `partial:<codes>`, `failed:<codes>` or `denied:<codes>`. */
  outcome: string;
  /** For a catalogue, grant or key change: what was asked, with its arguments and reason. (Default: none, a data read) */
  change?: AuditedChange | null;
}

/** A change to the catalogue, a grant or a key, as the audit trail keeps it (refused attempts too). */
export interface AuditedChange {
  /** e.g. `approveAccessRequest`, `catalog sync`, `key revoke`. */
  action: string;
  /** The arguments as given (JSON). */
  arguments: unknown;
  reason: string | null;
  /** What the change did (versions, grants ended, ...), or why it was refused. */
  detail?: unknown;
}

/** An entry in its place in the chain. */
export interface AuditEntry extends AuditDraft {
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * The entry's hash: SHA-256 (hex) of the predecessor's hash, a line feed, and the entry's content
 * (everything but the two hashes, `at` as an ISO-8601 UTC string with milliseconds) serialised as
 * RFC 8785 canonical JSON. Anyone can recompute it from a row without Huitong's code.
 */
export function entryHash(prevHash: string, entry: AuditDraft & { seq: number }): string {
  return createHash('sha256').update(`${prevHash}\n${canonicalContent(entry)}`).digest('hex');
}

const json = JSON.stringify;

/**
 * The entry's content as RFC 8785 canonical JSON, written out in its keys' sorted order: strings,
 * integers and arrays of strings serialise under RFC 8785 exactly as `JSON.stringify` writes them,
 * so only `change` (free-form) goes through the general canonicaliser. Hashing runs for every
 * audited request; the general one walks and sorts every object of the entry. Only entries that
 * record a change carry `change`, so the hashes of data reads are as before.
 */
export function canonicalContent(entry: AuditDraft & { seq: number }): string {
  // A row written by another version could hold more in a resource: then the general way.
  if (entry.resources.some((r) => Object.keys(r).length !== 3)) return canonicalContentGeneral(entry);
  const resources = entry.resources.map((r) => `{"fields":${json(r.fields)},"resource":${json(r.resource)},"subjects":${json(r.subjects)}}`);
  return (
    `{"at":${json(entry.at.toISOString())},"caseNumber":${json(entry.caseNumber)},` +
    (entry.change ? `"change":${canonicalize(entry.change)},` : '') +
    `"department":${json(entry.department)},"documentHash":${json(entry.documentHash)},"operationName":${json(entry.operationName)},` +
    `"outcome":${json(entry.outcome)},"purpose":${json(entry.purpose)},"resources":[${resources.join(',')}],` +
    `"resultSize":${json(entry.resultSize)},"roles":${json(entry.roles)},"seq":${json(entry.seq)},"subjects":${json(entry.subjects)},"system":${json(entry.system)}}`
  );
}

/** The same content through the general RFC 8785 canonicaliser: what an outside verifier computes. */
export function canonicalContentGeneral(entry: AuditDraft & { seq: number }): string {
  return canonicalize({
    seq: entry.seq,
    at: entry.at.toISOString(),
    department: entry.department,
    system: entry.system,
    roles: entry.roles,
    purpose: entry.purpose,
    caseNumber: entry.caseNumber,
    operationName: entry.operationName,
    documentHash: entry.documentHash,
    resources: entry.resources,
    subjects: entry.subjects,
    resultSize: entry.resultSize,
    outcome: entry.outcome,
    ...(entry.change ? { change: entry.change } : {}),
  });
}

/** Columns of `audit_entry` as the verifier and the tracker read them. */
export const ENTRY_COLUMNS = `seq::int8 as seq, at, department, system, roles, purpose, case_number as "caseNumber",
  operation_name as "operationName", document_hash as "documentHash", resources, subjects,
  result_size as "resultSize", outcome, change, prev_hash as "prevHash", hash`;
