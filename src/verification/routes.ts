import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Path } from 'graphql/jsutils/Path.js';
import { openAccessSession, PurposeRefused, TokenRefused, type AccessSession } from '../access/index.js';
import { refusalDraft, releasedDraft } from '../audit/index.js';
import type { HubServices } from '../server/context.js';
import { HubError } from '../server/errors.js';
import { authorizeVerification, recordAccess, VERIFICATION_RESOURCE } from './access.js';
import { batchCsv } from './batch.js';
import { verificationView } from './graphql.js';
import { reportHtml, reportPdf, type ReportView } from './report.js';
import { verificationService } from './service.js';
import { readVerification } from './verify.js';

/**
 * `GET /verification/<reference>.html` and `.pdf` (the printable report) and
 * `GET /verification/batches/<id>.csv` (a batch's export), under the same duties as GraphQL: a
 * verified token, a stated purpose and case number, the field guard on every value printed, and an
 * audit entry committed before a byte of the answer is sent (fail closed).
 */
export async function serveVerificationRoute(hub: HubServices, req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
  const report = /^\/verification\/(LI\d{8}-[0-9A-Z]{8})\.(html|pdf)$/.exec(route);
  const csv = /^\/verification\/batches\/(\d{1,18})\.csv$/.exec(route);
  if (!report && !csv) return fail(res, 404, new HubError('NOT_FOUND', 'No such verification route.'));
  let access: AccessSession;
  try {
    access = await openAccessSession(headersOf(req), hub.identity, hub.catalog);
  } catch (err) {
    if (!(err instanceof TokenRefused) && !(err instanceof PurposeRefused)) throw err;
    // Refused before anything is read, and entered in the audit trail like a refused query.
    const code = err instanceof TokenRefused ? 'UNAUTHENTICATED' : 'PURPOSE_REQUIRED';
    try {
      await hub.audit.log.record(refusalDraft(err instanceof PurposeRefused ? err.principal : null, { query: `GET ${route}`, operationName: report ? 'verificationReport' : 'verificationBatchCsv' }, { code, reason: err.reason }));
    } catch (auditErr) {
      hub.logger.error({ err: auditErr }, 'audit entry of a refused report not written');
      return fail(res, 503, new HubError('AUDIT_UNAVAILABLE', 'The audit trail cannot be written; no data is released.'));
    }
    if (err instanceof TokenRefused) return fail(res, 401, new HubError('UNAUTHENTICATED', `The bearer token was refused: ${err.reason}.`, { reason: err.reason }));
    return fail(res, 400, new HubError('PURPOSE_REQUIRED', `Purpose refused (${err.reason}).`, { reason: err.reason }));
  }
  const operation = report ? 'verificationReport' : 'verificationBatchCsv';
  try {
    if (report) {
      const [, reference, format] = report;
      recordAccess(access, [{ resource: VERIFICATION_RESOURCE, fields: [`op:report.${format}`], subjects: [] }]);
      const stored = await readVerification(hub.db.pool, reference);
      if (!stored) {
        await audit(hub, access, operation, route, 0, 'failed:NOT_FOUND');
        return fail(res, 404, new HubError('NOT_FOUND', `verification ${reference} was not found.`, { key: reference }));
      }
      recordAccess(access, [{ resource: VERIFICATION_RESOURCE, fields: [], subjects: stored.members.map((m) => m.idNumber) }]);
      const view = guardedView(access, verificationView(stored));
      const body = format === 'pdf' ? await reportPdf(view) : Buffer.from(reportHtml(view), 'utf8');
      await audit(hub, access, operation, route, body.length, 'ok');
      res.writeHead(200, {
        'content-type': format === 'pdf' ? 'application/pdf' : 'text/html; charset=utf-8',
        'content-disposition': `inline; filename="${reference}.${format}"`,
        'cache-control': 'no-store',
      });
      return void res.end(body);
    }
    const id = csv![1];
    authorizeVerification(hub, access, verificationService(hub).scheme, 'batchCsv');
    const exported = await batchCsv(hub.db.pool, id);
    if (!exported) {
      await audit(hub, access, operation, route, 0, 'failed:NOT_FOUND');
      return fail(res, 404, new HubError('NOT_FOUND', `verification batch ${id} was not found.`, { key: id }));
    }
    recordAccess(access, [{ resource: VERIFICATION_RESOURCE, fields: ['verdict', 'perCapitaMonthlyIncome', 'applicantIdNumber'], subjects: exported.subjects }]);
    await audit(hub, access, operation, route, Buffer.byteLength(exported.csv), 'ok');
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="verification-batch-${id}.csv"`, 'cache-control': 'no-store' });
    return void res.end(exported.csv);
  } catch (err) {
    const error = err instanceof HubError ? err : null;
    if (!error) hub.logger.error({ err, route }, 'verification route failed');
    const code = error?.code ?? 'INTERNAL';
    const denied = code === 'FORBIDDEN' || code === 'PURPOSE_REQUIRED' || code === 'UNAUTHENTICATED';
    try {
      if (access.principal) await audit(hub, access, operation, route, 0, `${denied ? 'denied' : 'failed'}:${code}`);
    } catch (auditErr) {
      hub.logger.error({ err: auditErr }, 'audit entry of a refused report not written');
      return fail(res, 503, new HubError('AUDIT_UNAVAILABLE', 'The audit trail cannot be written; no data is released.'));
    }
    const status = code === 'FORBIDDEN' ? 403 : code === 'PURPOSE_REQUIRED' ? 400 : code === 'UNAUTHENTICATED' ? 401 : code === 'AUDIT_UNAVAILABLE' ? 503 : 500;
    return fail(res, status, error ?? new HubError('AUDIT_UNAVAILABLE', 'The report could not be produced.'));
  }
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  return headers;
}

function fail(res: ServerResponse, status: number, error: HubError): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: error.message, extensions: error.extensions }] }));
}

/** The entry for a report or export, committed before it is sent; if it cannot be written, nothing is. */
async function audit(hub: HubServices, access: AccessSession, operation: string, route: string, size: number, outcome: string): Promise<void> {
  const documentHash = createHash('sha256').update(`GET ${route}`).digest('hex');
  await hub.audit.log.record(releasedDraft(access, { operationName: operation, documentHash, resultSize: size, outcome }));
}

/** A path for the access report, as if the report were the GraphQL field `verificationReport`. */
const at = (prev: Path | undefined, key: string | number): Path => ({ prev, key, typename: undefined });

/**
 * The view with every value passed through the access session exactly as the GraphQL guard would
 * pass `HouseholdVerification`'s fields: the caller's grant decides clear, masked or withheld.
 */
export function guardedView(access: AccessSession, view: ReportView): ReportView {
  const root = at(undefined, 'verificationReport');
  const subject = view.applicantIdNumber;
  const release = (field: string, value: unknown, path: Path, item?: string, identifies = false) =>
    access.release({ resource: VERIFICATION_RESOURCE, type: 'HouseholdVerification', field, item, linksRecords: false, identifies }, subject, path, value);
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(view)) {
    if (field === 'members' || field === 'differences' || field === 'items' || field === 'standard') continue;
    out[field] = release(field, value, at(root, field));
  }
  const list = <T extends object>(field: string, rows: readonly T[], itemOf: (key: string) => string, identifying: ReadonlySet<string>) =>
    rows.map((row, i) => {
      const p = at(at(root, field), i);
      return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, release(`${field}.${k}`, v, at(p, k), itemOf(k), identifying.has(k))]));
    });
  const memberItem = (k: string) => (k === 'idNumber' ? 'applicantIdNumber' : k === 'name' ? 'applicantName' : 'householdSize');
  out.members = list('members', view.members, memberItem, new Set(['idNumber']));
  out.differences = list('differences', view.differences, (k) => (k === 'idNumber' ? 'applicantIdNumber' : 'householdSize'), new Set(['idNumber']));
  out.items = list('items', view.items, () => 'verdict', new Set());
  out.standard = view.standard ? Object.fromEntries(Object.entries(view.standard).map(([k, v]) => [k, release(`standard.${k}`, v, at(at(root, 'standard'), k), 'standardMonthly')])) : null;
  return out as ReportView;
}
