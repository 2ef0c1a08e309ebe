// A citizen's page (我的数据访问记录): who read data about them, from `myAccessLog` only. The
// citizen token opens nothing else; this page's own reading is entered in the audit trail.
import { claimsOf, devToken, fieldName, formatTime, gql, purposeName, saveLang, savedLang } from './common.js';

const TEXTS = {
  zh: {
    title: '我的数据访问记录', signIn: '登录', signOut: '退出', token: '公民令牌', demo: '演示登录（仅开发环境）', idNumber: '身份证号',
    intro: '查看哪些部门、出于什么用途、在什么时间查询了您的哪些信息。', heading: '谁查询了我的数据', you: '本人：',
    none: '暂无部门查询您的数据。', purpose: '用途', caseNumber: '案件编号', fields: '查询的信息', more: '更多',
  },
  en: {
    title: 'Who read my data', signIn: 'Sign in', signOut: 'Sign out', token: 'Citizen token', demo: 'Demo sign-in (development only)', idNumber: 'ID number',
    intro: 'See which departments read which of your data, when, and for what purpose.', heading: 'Who read my data', you: 'You:',
    none: 'No department has read data about you.', purpose: 'Purpose', caseNumber: 'Case number', fields: 'Data read', more: 'More',
  },
};

const LOG = `query MyAccessLog($after: String) { myAccessLog(first: 50, after: $after) {
  edges { node { seq at department system purpose caseNumber resources { resource fields } outcome } } pageInfo { hasNextPage endCursor } } }`;

document.addEventListener('alpine:init', () => {
  window.Alpine.data('citizenApp', () => ({
    lang: savedLang(),
    config: { devSignIn: false, departments: [] },
    token: sessionStorage.getItem('huitong.citizen') ?? '',
    pasted: '',
    idNumber: '',
    records: [],
    hasMore: false,
    cursor: null,
    loaded: false,
    error: '',
    tx(key) {
      return TEXTS[this.lang][key] ?? TEXTS.zh[key];
    },
    time(iso) {
      return formatTime(iso, this.lang);
    },
    fieldName(f) {
      return fieldName(f, this.lang);
    },
    setLang(lang) {
      this.lang = lang;
      saveLang(lang);
    },
    purpose(code) {
      return code ? purposeName(code, this.config, this.lang) : '—';
    },
    deptName(code) {
      const d = this.config.departments.find((x) => x.code === code);
      return d ? (this.lang === 'zh' ? d.name : d.nameEn) : code;
    },
    get maskedId() {
      const id = claimsOf(this.token)?.sub ?? '';
      return id ? `${id.slice(0, 6)}********${id.slice(-4)}` : '';
    },
    async init() {
      saveLang(this.lang);
      this.config = await (await fetch('/console/config.json')).json();
      if (this.token) await this.load();
    },
    async demoSignIn() {
      this.error = '';
      try {
        await this.useToken(await devToken({ citizen: this.idNumber.trim() }));
      } catch (err) {
        this.error = err.message;
      }
    },
    async useToken(token) {
      this.token = token;
      sessionStorage.setItem('huitong.citizen', token);
      await this.load();
    },
    signOut() {
      this.token = '';
      this.records = [];
      this.loaded = false;
      sessionStorage.removeItem('huitong.citizen');
    },
    async load(more = false) {
      this.error = '';
      try {
        const data = await gql(this.token, LOG, { after: more ? this.cursor : null });
        const page = data.myAccessLog;
        this.records = [...(more ? this.records : []), ...page.edges.map((e) => e.node)];
        this.hasMore = page.pageInfo.hasNextPage;
        this.cursor = page.pageInfo.endCursor;
        this.loaded = true;
      } catch (err) {
        this.error = err.message;
        if (err.code === 'UNAUTHENTICATED') this.signOut();
      }
    },
  }));
});
