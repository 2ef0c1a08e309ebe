// The console (管理控制台): an Alpine.js page over the hub's GraphQL API. It holds no rights of its
// own: roles decide what it shows, the API decides what is allowed, and each action is one
// GraphQL operation, audited by the hub like any other.
import { claimsOf, devToken, fieldName, formatTime, gql, GraphQLFailure, purposeName, saveLang, savedLang } from './common.js';
import { codeName, t } from './i18n.js';

const RESOURCE_FIELDS = `code name nameEn summary provider classification { class category } graphqlType
  items { name title type description sensitivity identifiesPerson mask }
  sharing { type conditions methods } open { open conditions } updateCycle publishedAt related recordSchema format version retired updatedAt`;

const REQUEST_FIELDS = `id resource consumer fields purpose legalBasis validFrom validUntil status requestedBy requestedAt dueOn overdue
  grant { id fields { name level } validUntil revokedAt } events { kind actor reason at }`;

const UPDATE_CYCLES = ['real-time', 'daily', 'weekly', 'monthly', 'quarterly', 'half-yearly', 'yearly', 'irregular'];
const SENSITIVITIES = ['public', 'internal', 'personal', 'sensitive'];
const MASKS = ['', 'id-number', 'name', 'mobile', 'withhold'];
const CLASSES = ['base', 'theme', 'department'];
const SHARING = ['unconditional', 'conditional', 'none'];
const METHODS = ['query', 'sync', 'file'];

/** Working days (Mon–Fri) after `from` up to and including `to`, both YYYY-MM-DD. */
export function workingDaysBetween(from, to) {
  let days = 0;
  const d = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`);
  while (d < end) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) days++;
  }
  return days;
}

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

const emptyItem = () => ({ name: '', title: '', type: 'string', description: '', sensitivity: 'public', identifiesPerson: false, mask: '' });
const emptyResource = () => ({
  code: '', name: '', nameEn: '', summary: '', provider: '', classification: { class: 'department', category: '' }, graphqlType: '',
  items: [emptyItem()], sharing: { type: 'conditional', conditions: '', methods: ['query'] }, open: { open: false, conditions: '' },
  updateCycle: 'monthly', publishedAt: today(), related: '', recordSchema: '', format: '',
});

/** The form's values as `ResourceInput`: empty optional values left out, as the declaration schema wants. */
function inputOf(f) {
  const drop = (v) => (v === '' || v === null ? undefined : v);
  return {
    code: f.code, name: f.name, nameEn: f.nameEn, summary: f.summary, provider: f.provider,
    classification: { class: f.classification.class, category: f.classification.category }, graphqlType: f.graphqlType,
    items: f.items.map((i) => ({ name: i.name, title: i.title, type: i.type, description: i.description, sensitivity: i.sensitivity, identifiesPerson: !!i.identifiesPerson, mask: drop(i.mask) })),
    sharing: { type: f.sharing.type, conditions: drop(f.sharing.conditions), methods: f.sharing.methods },
    open: { open: !!f.open.open, conditions: drop(f.open.conditions) },
    updateCycle: f.updateCycle, publishedAt: f.publishedAt,
    related: String(f.related ?? '').split(/[,，\s]+/).filter(Boolean), recordSchema: f.recordSchema, format: drop(f.format),
  };
}

function formOf(r) {
  return {
    ...structuredClone(r),
    items: r.items.map((i) => ({ ...i, mask: i.mask ?? '' })),
    sharing: { ...r.sharing, conditions: r.sharing.conditions ?? '' },
    open: { ...r.open, conditions: r.open.conditions ?? '' },
    related: (r.related ?? []).join(', '),
    format: r.format ?? '',
  };
}

/** Scalar and enum fields of a type, by introspection (for pages built on another team's schema). */
async function scalarFieldsOf(token, typeName) {
  const data = await gql(token, `query ($n: String!) { __type(name: $n) { fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`, { n: typeName });
  const named = (type) => (type.ofType ? named(type.ofType) : type);
  return (data.__type?.fields ?? []).map((f) => ({ name: f.name, type: named(f.type) }));
}
const namedType = (type) => (type?.ofType ? namedType(type.ofType) : type);

/**
 * The connectors' API as the exchange defines it (schemas/graphql/exchange.graphql), for a hub
 * where introspection is off: the page then reads these fields by name.
 */
const nonNull = (name, kind = 'SCALAR') => ({ kind: 'NON_NULL', name: null, ofType: { kind, name, ofType: null } });
const nullable = (name) => ({ kind: 'SCALAR', name, ofType: null });
const KNOWN_EXCHANGE = {
  listField: { name: 'connectors', args: [] },
  runsField: { name: 'syncRuns', args: [{ name: 'connector', type: nonNull('ID') }, { name: 'first', type: nullable('Int') }] },
  quarantineField: { name: 'quarantinedRecords', args: [{ name: 'first', type: nullable('Int') }] },
  canStart: true,
  actions: [
    { name: 'replayQuarantined', args: [{ name: 'id', type: nonNull('ID') }, { name: 'payload', type: nullable('String') }, { name: 'reason', type: nonNull('String') }] },
    { name: 'discardQuarantined', args: [{ name: 'id', type: nonNull('ID') }, { name: 'reason', type: nonNull('String') }] },
  ],
  connectorColumns: ['id', 'department', 'system', 'kind', 'resource', 'schedule', 'enabled'],
  runColumns: ['id', 'state', 'full', 'startedAt', 'finishedAt', 'fetched', 'applied', 'unchanged', 'quarantined', 'created', 'changed', 'error', 'startedBy'],
  quarantineColumns: ['id', 'connector', 'resourceCode', 'sourceKey', 'step', 'errors', 'payload', 'fetchedAt', 'state'],
};

document.addEventListener('alpine:init', () => {
  window.Alpine.data('consoleApp', () => ({
    lang: savedLang(),
    token: sessionStorage.getItem('huitong.token') ?? '',
    claims: null,
    config: { devSignIn: false, departments: [], roles: [], operator: 'data-bureau' },
    route: 'catalog',
    param: '',
    busy: false,
    error: '',
    notice: '',
    enums: { UPDATE_CYCLES, SENSITIVITIES, MASKS, CLASSES, SHARING, METHODS },
    signin: { token: '', department: 'data-bureau', roles: ['catalog-admin'], error: '' },
    catalog: { search: '', filter: { provider: '', class: '', sharingType: '', sensitivity: '', includeRetired: false }, items: [], total: 0 },
    resource: null,
    history: [],
    resourceGrants: [],
    form: null,
    requests: { all: [], view: 'inbox', deciding: null, decision: null },
    audit: { subject: '', records: [], searched: false, verification: null },
    connectors: {
      checked: false, available: false, introspected: false, canStart: false, listField: null, runsField: null, quarantineField: null, actions: [],
      list: [], connectorColumns: [], selected: null, runs: [], runColumns: [], quarantine: [], quarantineColumns: [], acting: null,
    },
    sheet: { available: false, report: null, dryRun: true, reason: '', fileName: '' },

    t(key) {
      return t(this.lang, key);
    },
    fieldName(f) {
      return fieldName(f, this.lang);
    },
    /** A code of the API (status, sharing type, sensitivity...) as the reader's language names it. */
    label(code) {
      return codeName(this.lang, code);
    },
    time(iso) {
      return formatTime(iso, this.lang);
    },
    setLang(lang) {
      this.lang = lang;
      saveLang(lang);
    },
    purpose(code) {
      if (!code) return '—';
      const name = purposeName(code, this.config, this.lang);
      return name === code ? code : `${name} (${code})`;
    },
    deptName(code) {
      const d = this.config.departments.find((x) => x.code === code);
      return d ? (this.lang === 'zh' ? d.name : d.nameEn) : code;
    },
    has(role) {
      return !!this.claims?.roles?.includes(role);
    },
    get department() {
      return this.claims?.dept ?? '';
    },
    get isOperatorAdmin() {
      return this.has('catalog-admin') && this.department === this.config.operator;
    },
    get isAuditor() {
      return this.has('auditor') && this.department === this.config.operator;
    },

    async init() {
      saveLang(this.lang);
      this.config = await (await fetch('/console/config.json')).json();
      if (this.token) this.claims = claimsOf(this.token);
      if (this.claims && this.claims.exp * 1000 < Date.now()) this.signOut();
      window.addEventListener('hashchange', () => this.navigate());
      await this.navigate();
    },

    async api(query, variables) {
      try {
        return await gql(this.token, query, variables);
      } catch (err) {
        if (err instanceof GraphQLFailure && err.code === 'UNAUTHENTICATED') this.signOut();
        throw err;
      }
    },

    async navigate() {
      const [route, ...rest] = (location.hash.replace(/^#\/?/, '') || 'catalog').split('/');
      this.route = this.token ? route : 'signin';
      this.param = decodeURIComponent(rest.join('/'));
      this.error = '';
      this.notice = '';
      try {
        this.busy = true;
        if (this.route === 'catalog') await this.loadCatalog();
        if (this.route === 'resource') await this.loadResource(this.param);
        if (this.route === 'register') this.form = { mode: 'register', data: emptyResource(), errors: {}, problems: [], reason: '' };
        if (this.route === 'edit') {
          await this.loadResource(this.param);
          this.form = { mode: 'edit', data: formOf(this.resource), errors: {}, problems: [], reason: '' };
        }
        if (this.route === 'requests') await this.loadRequests();
        if (this.route === 'audit' && this.isAuditor) await this.verifyChain();
        if (this.route === 'connectors') await this.loadConnectors();
        if (this.route === 'import') await this.checkSheetImport();
        if (!this.connectors.checked && this.token) await this.discoverConnectors();
      } catch (err) {
        this.error = err.message;
      } finally {
        this.busy = false;
      }
    },
    go(hash) {
      location.hash = hash;
    },

    // --- sign-in ---
    async signInWithToken() {
      await this.useToken(this.signin.token.trim());
    },
    async demoSignIn() {
      this.signin.error = '';
      try {
        await this.useToken(await devToken({ department: this.signin.department, roles: this.signin.roles }));
      } catch (err) {
        this.signin.error = err.message;
      }
    },
    async useToken(token) {
      this.signin.error = '';
      try {
        await gql(token, '{ hub { name } }');
      } catch (err) {
        this.signin.error = err.message;
        return;
      }
      this.token = token;
      this.claims = claimsOf(token);
      sessionStorage.setItem('huitong.token', token);
      this.connectors.checked = false;
      if (location.hash === '#/catalog') await this.navigate();
      else this.go('#/catalog');
    },
    signOut() {
      this.token = '';
      this.claims = null;
      sessionStorage.removeItem('huitong.token');
      this.route = 'signin';
    },

    // --- catalogue ---
    async loadCatalog() {
      const f = this.catalog.filter;
      const filter = { provider: f.provider || undefined, class: f.class || undefined, sharingType: f.sharingType || undefined, sensitivity: f.sensitivity || undefined, includeRetired: f.includeRetired || undefined };
      const data = await this.api(
        `query Catalogue($search: String, $filter: CatalogFilter) { catalogResources(search: $search, filter: $filter, first: 100) { totalCount edges { node { code name nameEn summary provider version retired sharing { type } classification { class category } } } } }`,
        { search: this.catalog.search || null, filter },
      );
      this.catalog.items = data.catalogResources.edges.map((e) => e.node);
      this.catalog.total = data.catalogResources.totalCount;
    },
    async loadResource(code) {
      const data = await this.api(
        `query Resource($code: ID!) { catalogResource(code: $code) { ${RESOURCE_FIELDS} recordSchemaDocument } resourceHistory(code: $code) { version change changedBy reason changedAt diff { path before after } } }`,
        { code },
      );
      this.resource = data.catalogResource;
      this.history = data.resourceHistory;
      // Grants are seen by those who may see them: the provider's and the operator's people.
      this.resourceGrants = [];
      if (this.resource && (this.has('provider') || this.has('catalog-admin') || this.has('consumer'))) {
        const reqs = await this.api(`query Grants { accessRequests { ${REQUEST_FIELDS} } }`).catch(() => ({ accessRequests: [] }));
        this.resourceGrants = reqs.accessRequests.filter((r) => r.resource === code && r.grant);
      }
    },
    prettySchema(text) {
      try {
        return JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        return text ?? '';
      }
    },
    async retire() {
      const reason = window.prompt(this.t('reason'));
      if (!reason?.trim()) return;
      try {
        await this.api(`mutation Retire($code: ID!, $reason: String!) { retireResource(code: $code, reason: $reason) { code retired } }`, { code: this.resource.code, reason });
        this.notice = this.t('saved');
        await this.loadResource(this.resource.code);
      } catch (err) {
        this.error = err.message;
      }
    },

    // --- register / edit ---
    addItem() {
      this.form.data.items.push(emptyItem());
    },
    removeItem(i) {
      this.form.data.items.splice(i, 1);
    },
    fieldError(path) {
      return this.form?.errors[path] ?? '';
    },
    async saveForm() {
      const form = this.form;
      form.errors = {};
      form.problems = [];
      if (!form.reason.trim()) {
        form.errors.reason = this.t('reasonRequired');
        return;
      }
      const mutation = form.mode === 'register' ? 'registerResource' : 'updateResource';
      try {
        const data = await this.api(`mutation Save($r: ResourceInput!, $reason: String!) { ${mutation}(resource: $r, reason: $reason) { code version } }`, { r: inputOf(form.data), reason: form.reason });
        this.notice = this.t('saved');
        this.go(`#/resource/${encodeURIComponent(data[mutation].code)}`);
      } catch (err) {
        // The API checks the declaration with the same JSON Schema (ajv) as declaration files; each problem has its path.
        const problems = err.errors?.flatMap((e) => e.extensions?.problems ?? (e.extensions?.argument ? [{ path: String(e.extensions.argument).replace(/^resource\.?/, ''), message: e.message }] : [{ path: '', message: e.message }])) ?? [{ path: '', message: err.message }];
        for (const p of problems) form.errors[p.path] = form.errors[p.path] ? `${form.errors[p.path]}; ${p.message}` : p.message;
        form.problems = problems;
      }
    },

    // --- requests ---
    async loadRequests() {
      const data = await this.api(`query Requests { accessRequests { ${REQUEST_FIELDS} } }`);
      this.requests.all = data.accessRequests;
    },
    get inbox() {
      return this.requests.all.filter((r) => r.consumer !== this.department);
    },
    get outbox() {
      return this.requests.all.filter((r) => r.consumer === this.department);
    },
    remainingDays(r) {
      return workingDaysBetween(today(), r.dueOn);
    },
    overdueDays(r) {
      return r.status === 'pending' && r.overdue ? workingDaysBetween(r.dueOn, today()) : 0;
    },
    async startDecision(r, kind) {
      const resource = (await this.api(`query Items($code: ID!) { catalogResource(code: $code) { items { name title mask } } }`, { code: r.resource })).catalogResource;
      const maskable = new Set((resource?.items ?? []).filter((i) => i.mask && i.mask !== 'withhold').map((i) => i.name));
      this.requests.deciding = r;
      this.requests.decision = { kind, fields: [...r.fields], masked: [], maskable: r.fields.filter((f) => maskable.has(f)), validUntil: r.validUntil, reason: '', error: '' };
    },
    async decide() {
      const r = this.requests.deciding;
      const d = this.requests.decision;
      if (!d.reason.trim()) return void (d.error = this.t('reasonRequired'));
      try {
        if (d.kind === 'approve') {
          // `fields` are all granted; `maskedFields` (a subset) are granted masked only.
          const fields = [...d.fields];
          await this.api(
            `mutation Approve($id: ID!, $fields: [String!], $masked: [String!], $until: String, $reason: String) { approveAccessRequest(id: $id, fields: $fields, maskedFields: $masked, validUntil: $until, reason: $reason) { id status } }`,
            { id: r.id, fields, masked: d.masked.filter((f) => d.fields.includes(f)), until: d.validUntil !== r.validUntil ? d.validUntil : null, reason: d.reason },
          );
        } else {
          await this.api(`mutation Reject($id: ID!, $reason: String!) { rejectAccessRequest(id: $id, reason: $reason) { id status } }`, { id: r.id, reason: d.reason });
        }
        this.requests.deciding = null;
        this.notice = this.t('saved');
        await this.loadRequests();
      } catch (err) {
        d.error = err.message;
      }
    },

    // --- audit ---
    async lookUpSubject() {
      const data = await this.api(
        `query Tracker($s: ID!) { accessLog(subject: $s, first: 100) { edges { node { seq at department system purpose caseNumber operationName resources { resource fields } outcome } } } }`,
        { s: this.audit.subject.trim() },
      ).catch((err) => ((this.error = err.message), null));
      this.audit.records = data ? data.accessLog.edges.map((e) => e.node) : [];
      this.audit.searched = true;
    },
    async verifyChain() {
      const data = await this.api(`query Chain { auditVerification { ok entries checkpoints firstBreak { seq problem detail } lastCheckpoint { seq hash kid at } } }`);
      this.audit.verification = data.auditVerification;
    },

    // --- connectors: shown only when the schema has them (another team's API, found by introspection;
    // where introspection is off, as in production, by asking for `connectors` and using the known shapes) ---
    async discoverConnectors() {
      const c = this.connectors;
      c.checked = true;
      try {
        const data = await this.api(`{ __schema { queryType { fields { name args { name type { ...T } } type { ...T } } } mutationType { fields { name args { name type { ...T } } } } } }
          fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`);
        const q = data.__schema.queryType.fields;
        c.listField = q.find((f) => f.name === 'connectors') ?? null;
        c.runsField = q.find((f) => f.name === 'syncRuns') ?? null;
        c.quarantineField = q.find((f) => /quarantine/i.test(f.name)) ?? null;
        c.actions = (data.__schema.mutationType?.fields ?? []).filter((f) => /replay|discard/i.test(f.name) && /quarantin/i.test(f.name));
        c.canStart = (data.__schema.mutationType?.fields ?? []).some((f) => f.name === 'startSync');
        c.introspected = true;
      } catch {
        const probe = await this.api('{ connectors { id } }').then(() => true, () => false);
        Object.assign(c, probe ? KNOWN_EXCHANGE : { listField: null, runsField: null, quarantineField: null, actions: [] });
        c.introspected = false;
      }
      c.available = !!(c.runsField || c.quarantineField);
    },
    /** Columns of a field's items (a list or a Relay connection), and the selection that reads them. */
    async columnsOf(field, known) {
      if (!this.connectors.introspected) return { columns: known, connection: field.name !== 'connectors' };
      const scalar = (fs) => fs.filter((f) => f.type.kind === 'SCALAR' || f.type.kind === 'ENUM').map((f) => f.name);
      const type = namedType(field.type).name;
      const fields = await scalarFieldsOf(this.token, type);
      const edges = fields.find((f) => f.name === 'edges');
      if (!edges) return { columns: scalar(fields), connection: false };
      const node = (await scalarFieldsOf(this.token, edges.type.name)).find((f) => f.name === 'node');
      return { columns: scalar(await scalarFieldsOf(this.token, node.type.name)), connection: true };
    },
    async listOf(field, known, args = {}) {
      const { columns, connection } = await this.columnsOf(field, known);
      const declared = field.args.map((a) => a.name);
      const vars = { ...(declared.includes('first') ? { first: 50 } : {}), ...args };
      const defs = Object.keys(vars).map((k) => `$${k}: ${k === 'first' ? 'Int' : 'ID!'}`).join(', ');
      const uses = Object.keys(vars).map((k) => `${k}: $${k}`).join(', ');
      const selection = connection ? `edges { node { ${columns.join(' ')} } }` : columns.join(' ');
      const data = await this.api(`query Connectors${defs ? `(${defs})` : ''} { ${field.name}${uses ? `(${uses})` : ''} { ${selection} } }`, vars);
      const value = data[field.name];
      return { columns, rows: connection ? value.edges.map((e) => e.node) : value };
    },
    async loadConnectors() {
      const c = this.connectors;
      if (!c.checked) await this.discoverConnectors();
      if (!c.available) return;
      if (c.listField) {
        const { columns, rows } = await this.listOf(c.listField, KNOWN_EXCHANGE.connectorColumns);
        c.connectorColumns = columns;
        c.list = rows;
        c.selected ??= rows[0]?.id ?? null;
      }
      await this.loadRuns();
      if (c.quarantineField) {
        const { columns, rows } = await this.listOf(c.quarantineField, KNOWN_EXCHANGE.quarantineColumns);
        c.quarantineColumns = columns;
        c.quarantine = rows;
      }
    },
    async loadRuns(id) {
      const c = this.connectors;
      if (id) c.selected = id;
      if (!c.runsField) return;
      const needsConnector = c.runsField.args.some((a) => a.name === 'connector');
      if (needsConnector && !c.selected) return;
      const { columns, rows } = await this.listOf(c.runsField, KNOWN_EXCHANGE.runColumns, needsConnector ? { connector: c.selected } : {});
      c.runColumns = columns;
      c.runs = rows;
    },
    async startSync(id) {
      try {
        await this.api(`mutation StartSync($c: ID!) { startSync(connector: $c, reason: "console") { id state } }`, { c: id });
        this.notice = this.t('saved');
        await this.loadRuns(id);
      } catch (err) {
        this.error = err.message;
      }
    },
    cell(value) {
      return value === null || value === undefined ? '' : Array.isArray(value) ? value.join('; ') : typeof value === 'object' ? JSON.stringify(value) : String(value);
    },
    startAction(action, row) {
      this.connectors.acting = { action, values: Object.fromEntries(action.args.map((a) => [a.name, a.name === 'id' ? String(row.id ?? '') : a.name === 'payload' ? (row.payload ?? '') : ''])), error: '' };
    },
    async runAction() {
      const { action, values } = this.connectors.acting;
      const parse = (arg) => {
        const named = namedType(arg.type);
        const v = values[arg.name];
        if (v === '') return null;
        return named.kind === 'INPUT_OBJECT' || ['Int', 'Float', 'Boolean'].includes(named.name) ? JSON.parse(v) : v;
      };
      const typeText = (type) => (type.kind === 'NON_NULL' ? `${typeText(type.ofType)}!` : type.kind === 'LIST' ? `[${typeText(type.ofType)}]` : type.name);
      const defs = action.args.map((a) => `$${a.name}: ${typeText(a.type)}`).join(', ');
      const uses = action.args.map((a) => `${a.name}: $${a.name}`).join(', ');
      try {
        const vars = Object.fromEntries(action.args.map((a) => [a.name, parse(a)]));
        await this.api(`mutation Act${defs ? `(${defs})` : ''} { ${action.name}${uses ? `(${uses})` : ''} { __typename } }`, vars);
        this.connectors.acting = null;
        this.notice = this.t('saved');
        await this.loadConnectors();
      } catch (err) {
        this.connectors.acting.error = err.message;
      }
    },

    // --- spreadsheet import (through the API's importCatalogSheet, when the hub has it) ---
    async checkSheetImport() {
      // Where introspection is off (production) the hub is taken to have it: it ships with this console.
      const data = await this.api(`{ __schema { mutationType { fields { name } } } }`).catch(() => null);
      this.sheet.available = !data || !!data.__schema.mutationType?.fields.some((f) => f.name === 'importCatalogSheet');
    },
    async importSheet(dryRun) {
      const input = document.getElementById('sheet-file');
      const file = input?.files?.[0];
      if (!file) return;
      if (!dryRun && !this.sheet.reason.trim()) return void (this.error = this.t('reasonRequired'));
      const bytes = new Uint8Array(await file.arrayBuffer());
      let binary = '';
      for (const b of bytes) binary += String.fromCharCode(b);
      try {
        const data = await this.api(
          `mutation Import($sheet: String!, $name: String!, $dry: Boolean!, $reason: String!) { importCatalogSheet(sheet: $sheet, fileName: $name, dryRun: $dry, reason: $reason) { stored rows { row code change problems } } }`,
          { sheet: btoa(binary), name: file.name, dry: dryRun, reason: this.sheet.reason || 'dry run' },
        );
        this.sheet.report = { ...data.importCatalogSheet, dryRun };
        this.sheet.fileName = file.name;
      } catch (err) {
        this.error = err.message;
      }
    },
  }));
});
