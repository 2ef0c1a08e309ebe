import type pg from 'pg';

/** A current record of a department resource that is not a base library, as `department_record` holds it. */
export interface DepartmentRecordRow {
  recordKey: string;
  payload: Record<string, unknown>;
  sourceSystem: string;
  resourceVersion: string;
  fetchedAt: string;
  validFrom: string;
}

/**
 * The current records of `resource` about `subject`, newest first: one indexed read on
 * (resource_code, subject). A small adapter until department resources are exposed through the
 * contract; the values still leave only through the caller's access session (the same guard).
 */
export async function departmentRecords(pool: pg.Pool, resource: string, subject: string): Promise<DepartmentRecordRow[]> {
  const { rows } = await pool.query<DepartmentRecordRow>({
    name: 'prefill-department-records',
    text: `select record_key as "recordKey", payload, source_system as "sourceSystem", resource_version as "resourceVersion",
                  to_char(fetched_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "fetchedAt",
                  to_char(valid_from at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "validFrom"
             from department_record
            where resource_code = $1 and subject = $2 and valid_to is null
            order by valid_from desc, record_key`,
    values: [resource, subject],
  });
  return rows;
}
