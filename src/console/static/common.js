// Shared by the console and the citizen's page: the GraphQL client, token handling and languages.
// Plain ES2020, served as is (no build step); every read and change goes through /graphql.

export class GraphQLFailure extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code ?? 'INTERNAL';
  }
}

/** POSTs a document to the hub's GraphQL API with the signed-in token (and a purpose, when given). */
export async function gql(token, query, variables = {}, purpose = null) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (purpose) {
    headers['x-purpose'] = purpose.code;
    headers['x-case-number'] = purpose.caseNumber;
  }
  const res = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json().catch(() => ({ errors: [{ message: `HTTP ${res.status}`, extensions: { code: 'INTERNAL' } }] }));
  if (body.errors?.length) throw new GraphQLFailure(body.errors);
  return body.data;
}

/** The claims of a JWT, read (not verified: the hub verifies) to know what to show. */
export function claimsOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(payload))));
  } catch {
    return null;
  }
}

export async function devToken(body) {
  const res = await fetch('/console/dev-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw Object.assign(new Error(json.error ?? `HTTP ${res.status}`), { field: json.field });
  return json.token;
}

export function formatTime(iso, lang) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', hour12: false });
}

/** Names of data items people read rather than the API's field names. */
export const FIELD_NAMES = {
  zh: {
    idNumber: '身份证号', name: '姓名', formerNames: '曾用名', gender: '性别', birthDate: '出生日期', ethnicity: '民族', address: '住址',
    maritalStatus: '婚姻状况', status: '状态', household: '户', householdNumber: '户号', relationToHead: '与户主关系', count: '计数',
    creditCode: '统一社会信用代码', representative: '法定代表人', unitNumber: '不动产单元号', owners: '权利人', provenance: '来源',
    myAccessLog: '本人查看记录', residenceDivision: '户籍地', members: '家庭成员', division: '区划',
    accessLog: '审计查询访问记录', auditVerification: '审计链校验', properties: '不动产', legalEntities: '法人',
  },
  en: {},
};
export const fieldName = (f, lang) => {
  if (!f.startsWith('arg:')) return FIELD_NAMES[lang]?.[f] ?? f;
  const arg = f.slice(4);
  return lang === 'zh' ? `按${FIELD_NAMES.zh[arg] ?? arg}查询` : `looked up by ${arg}`;
};

/** A purpose code by its registered name (in Chinese), from the hub's public configuration. */
export const purposeName = (code, config, lang) => (lang === 'zh' ? (config.purposes ?? []).find((p) => p.code === code)?.name : null) ?? code;

export function savedLang() {
  return localStorage.getItem('huitong.lang') === 'en' ? 'en' : 'zh';
}
export function saveLang(lang) {
  localStorage.setItem('huitong.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}
