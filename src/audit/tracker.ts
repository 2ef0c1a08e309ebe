import type pg from 'pg';
import type { ResourceAccess } from './entry.js';

/** One access to data about a subject, as the data tracker shows it. */
export interface AccessRecord {
  seq: number;
  at: Date;
  department: string;
  system: string;
  purpose: string | null;
  caseNumber: string | null;
  operationName: string | null;
  /** Only the resources in which the subject appeared, with the fields released. */
  resources: { resource: string; fields: string[] }[];
  outcome: string;
}

/**
 * Who accessed data about `subject` (an ID number, credit code, unit number, division code), newest
 * first: `first` records older than the `before` seq.
 */
export async function accessesAbout(
  pool: pg.Pool,
  subject: string,
  page: { first: number; before: number | null },
  /** Leave out the entries of this department (a citizen's own views of their log). (Default: none) */
  options: { excludeDepartment?: string } = {},
): Promise<{ records: AccessRecord[]; hasMore: boolean }> {
  const { rows } = await pool.query<Omit<AccessRecord, 'resources'> & { resources: ResourceAccess[] }>(
    `select seq::int8 as seq, at, department, system, purpose, case_number as "caseNumber",
            operation_name as "operationName", resources, outcome
       from audit_entry
      where subjects @> array[$1::text] and ($2::bigint is null or seq < $2)
        and ($4::text is null or department <> $4)
      order by seq desc
      limit $3`,
    [subject, page.before, page.first + 1, options.excludeDepartment ?? null],
  );
  const records = rows.slice(0, page.first).map((r) => ({
    ...r,
    seq: Number(r.seq), // int8 arrives as text; exact to 2^53
    resources: r.resources.filter((a) => a.subjects.includes(subject)).map(({ resource, fields }) => ({ resource, fields })),
  }));
  return { records, hasMore: rows.length > page.first };
}
