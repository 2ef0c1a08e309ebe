// Console texts, Chinese first. A missing English text falls back to the Chinese one.
export const TEXTS = {
  zh: {
    title: '汇通管理控制台', signIn: '登录', signOut: '退出', token: '令牌（JWT）', tokenHelp: '粘贴本部门签发的令牌（开发环境可用 huitong token 生成）。',
    demoSignIn: '演示登录', demoHelp: '仅开发环境：选择部门和角色，获取 15 分钟有效的演示令牌。', department: '部门', roles: '角色',
    catalog: '资源目录', requests: '共享申请', audit: '审计', connectors: '数据接入', register: '注册资源', importSheet: '导入表格',
    search: '搜索', searchPlaceholder: '名称、摘要或信息项（中英文）', provider: '提供方', class: '分类', sharingType: '共享属性', sensitivity: '敏感级别',
    includeRetired: '含已停用', any: '全部', results: '条结果', code: '资源代码', name: '名称', nameEn: '英文名称', summary: '摘要',
    version: '版本', retired: '已停用', items: '信息项', itemName: '字段', itemTitle: '名称', itemType: '类型', description: '说明',
    identifiesPerson: '可识别个人', mask: '脱敏规则', none: '无', recordSchema: '记录 JSON Schema', versions: '版本历史', diff: '变更',
    grants: '授权', consumer: '使用方', purpose: '用途', validUntil: '有效期至', validFrom: '起始日', fields: '字段', edit: '编辑', retire: '停用',
    reason: '理由', reasonRequired: '请填写理由', save: '保存', cancel: '取消', category: '类别', graphqlType: 'GraphQL 类型',
    conditions: '共享条件', methods: '共享方式', open: '向社会开放', updateCycle: '更新周期', publishedAt: '发布日期', related: '关联资源（逗号分隔）',
    format: '格式', addItem: '添加信息项', remove: '删除', saved: '已保存', problems: '未保存，请修改以下问题：',
    inbox: '待我审批', outbox: '我的申请', pending: '待审批', decided: '已处理', overdue: '已超期', remaining: '还剩', workingDays: '个工作日', dueOn: '审批期限',
    status: '状态', approve: '批准', reject: '驳回', grantFields: '授予字段', maskedFields: '仅脱敏授予', shortenTo: '缩短有效期至',
    requestedBy: '申请人', legalBasis: '法律依据', noRequests: '暂无申请', subject: '身份证号或统一社会信用代码', lookUp: '查询',
    timeline: '访问记录', when: '时间', system: '系统', caseNumber: '案件编号', outcome: '结果', chain: '审计链校验', verify: '校验',
    chainOk: '完整', chainBroken: '已损坏', entries: '条记录', checkpoints: '个签名检查点', lastCheckpoint: '最近签名检查点', firstBreak: '首个断点',
    runs: '同步记录', quarantine: '隔离区', replay: '修正并重放', startSync: '立即同步', discard: '丢弃', noConnectors: '本平台尚未提供数据接入接口。', noImport: '本平台尚未提供表格导入接口。',
    dryRun: '试运行（不保存）', importNow: '确认导入', sheetFile: '表格文件（.xlsx 或 .csv）', row: '行', change: '变更',
    forbiddenView: '当前角色无权查看此页面。', loading: '加载中…', notFound: '未找到', citizenPage: '公民查询本人数据访问记录', openData: '公开数据',
    signedInAs: '当前身份', back: '返回',
  },
  en: {
    title: 'Huitong console', signIn: 'Sign in', signOut: 'Sign out', token: 'Token (JWT)', tokenHelp: "Paste a token from your department's issuer (in development: huitong token).",
    demoSignIn: 'Demo sign-in', demoHelp: 'Development only: choose a department and roles for a 15-minute demo token.', department: 'Department', roles: 'Roles',
    catalog: 'Catalogue', requests: 'Requests', audit: 'Audit', connectors: 'Connectors', register: 'Register', importSheet: 'Import sheet',
    search: 'Search', searchPlaceholder: 'Name, summary or data item (Chinese or English)', provider: 'Provider', class: 'Class', sharingType: 'Sharing', sensitivity: 'Sensitivity',
    includeRetired: 'Include retired', any: 'Any', results: 'results', code: 'Code', name: 'Name', nameEn: 'English name', summary: 'Summary',
    version: 'Version', retired: 'Retired', items: 'Data items', itemName: 'Field', itemTitle: 'Title', itemType: 'Type', description: 'Description',
    identifiesPerson: 'Identifies a person', mask: 'Mask', none: 'none', recordSchema: 'Record JSON Schema', versions: 'Versions', diff: 'Changes',
    grants: 'Grants', consumer: 'Consumer', purpose: 'Purpose', validUntil: 'Valid until', validFrom: 'Valid from', fields: 'Fields', edit: 'Edit', retire: 'Retire',
    reason: 'Reason', reasonRequired: 'A reason is required', save: 'Save', cancel: 'Cancel', category: 'Category', graphqlType: 'GraphQL type',
    conditions: 'Conditions', methods: 'Methods', open: 'Open to the public', updateCycle: 'Update cycle', publishedAt: 'Published', related: 'Related (comma-separated)',
    format: 'Format', addItem: 'Add item', remove: 'Remove', saved: 'Saved', problems: 'Not saved; fix these:',
    inbox: 'Inbox', outbox: 'Outbox', pending: 'Pending', decided: 'Decided', overdue: 'Overdue', remaining: 'left:', workingDays: 'working days', dueOn: 'Due',
    status: 'Status', approve: 'Approve', reject: 'Reject', grantFields: 'Fields granted', maskedFields: 'Granted masked only', shortenTo: 'Shorten to',
    requestedBy: 'Requested by', legalBasis: 'Legal basis', noRequests: 'No requests', subject: 'ID number or credit code', lookUp: 'Look up',
    timeline: 'Accesses', when: 'When', system: 'System', caseNumber: 'Case number', outcome: 'Outcome', chain: 'Audit chain', verify: 'Verify',
    chainOk: 'intact', chainBroken: 'broken', entries: 'entries', checkpoints: 'signed checkpoints', lastCheckpoint: 'Last signed checkpoint', firstBreak: 'First break',
    runs: 'Sync runs', quarantine: 'Quarantine', replay: 'Fix and replay', startSync: 'Sync now', discard: 'Discard', noConnectors: 'This hub offers no connector API yet.', noImport: 'This hub offers no spreadsheet import API yet.',
    dryRun: 'Dry run (stores nothing)', importNow: 'Import', sheetFile: 'Spreadsheet (.xlsx or .csv)', row: 'Row', change: 'Change',
    forbiddenView: 'Your roles do not show this page.', loading: 'Loading…', notFound: 'Not found', citizenPage: "Citizens: who read my data", openData: 'Open data',
    signedInAs: 'Signed in as', back: 'Back',
  },
};

export const t = (lang, key) => TEXTS[lang]?.[key] ?? TEXTS.zh[key] ?? key;

/** Chinese names of the API's codes (statuses, sharing types, sensitivities...); English shows the code. */
export const CODE_NAMES = {
  pending: '待审批', approved: '已批准', rejected: '已驳回', revoked: '已撤销', suspended: '已暂停',
  unconditional: '无条件共享', conditional: '有条件共享', none: '不予共享',
  public: '公开', internal: '内部', personal: '个人信息', sensitive: '敏感个人信息',
  base: '基础', theme: '主题', department: '部门',
  registered: '注册', updated: '更新', retired: '停用', reinstated: '恢复', unchanged: '无变化', refused: '拒绝',
  query: '查询', sync: '同步', file: '文件', clear: '明文', masked: '脱敏',
  'real-time': '实时', daily: '每日', weekly: '每周', monthly: '每月', quarterly: '每季度', 'half-yearly': '每半年', yearly: '每年', irregular: '不定期',
  ok: '成功',
};
export const codeName = (lang, code) => (lang === 'zh' && CODE_NAMES[code] ? CODE_NAMES[code] : code);
