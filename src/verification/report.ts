import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { verificationView } from './graphql.js';

/**
 * The printable report for the case file (核对报告): HTML, and PDF with Chinese text rendered in
 * Noto Sans SC, a font the project installs from npm (`@expo-google-fonts/noto-sans-sc`, TTF,
 * which pdfkit embeds as a subset). Both are built from the view the caller is allowed to see:
 * a withheld value prints as "—" (不予显示), a masked one masked.
 */

export type ReportView = ReturnType<typeof verificationView>;

const VERDICT_ZH: Record<string, string> = { ELIGIBLE: '符合', NOT_ELIGIBLE: '不符合', INCOMPLETE: '核对不完整' };
const OUTCOME_ZH: Record<string, string> = { PASS: '通过', FAIL: '不通过', UNAVAILABLE: '无法核对', COUNTED: '计入收入', NOTED: '备注' };
const CATEGORY_ZH: Record<string, string> = { DIBAO: '低保', MARGINAL: '低保边缘', NONE: '不符合救助条件', UNKNOWN: '未定' };
const STATUS_ZH: Record<string, string> = { LIVING: '健在', DECEASED: '已死亡', MOVED_OUT: '已迁出', UNKNOWN: '人口库无此人', INVALID_ID: '身份证号无效' };

const shown = (v: unknown) => (v === null || v === undefined ? '—' : String(v));

const fontDir = () => path.dirname(createRequire(import.meta.url).resolve('@expo-google-fonts/noto-sans-sc/package.json'));
let fonts: { regular: Buffer; bold: Buffer } | null = null;
/** Read once per process: the files are 10 MB each. */
function cjkFonts() {
  fonts ??= {
    regular: readFileSync(path.join(fontDir(), '400Regular/NotoSansSC_400Regular.ttf')),
    bold: readFileSync(path.join(fontDir(), '700Bold/NotoSansSC_700Bold.ttf')),
  };
  return fonts;
}

function lines(v: ReportView): { heading: string[][]; members: string[][]; differences: string[]; items: string[][] } {
  const verdict = v.verdict ? `${VERDICT_ZH[v.verdict] ?? v.verdict} (${v.verdict})` : '—';
  const heading = [
    ['核对编号 Reference', shown(v.reference)],
    ['核对结论 Verdict', verdict],
    ['救助类别 Category', v.category ? `${CATEGORY_ZH[v.category] ?? v.category} (${v.category})` : '—'],
    ['申请人 Applicant', `${shown(v.applicantName)} ${shown(v.applicantIdNumber)}`],
    ['案件编号 Case', shown(v.caseNumber)],
    ['核对日期 Check date', shown(v.checkDate)],
    ['核对时间 Decided at', shown(v.decidedAt)],
    ['核对方案 Scheme', shown(v.scheme)],
    ['户号 / 区划 Household / division', `${shown(v.householdNumber)} / ${shown(v.divisionCode)} (${v.area === 'rural' ? '农村' : v.area === 'urban' ? '城市' : '—'})`],
    ['家庭人口 Household size', shown(v.householdSize)],
    ['家庭月收入 Monthly household income', `${shown(v.householdMonthlyIncome)} 元`],
    ['月人均收入 / 低保标准 Per capita / standard', `${shown(v.perCapitaMonthlyIncome)} 元 / ${shown(v.standardMonthly)} 元 (低保边缘 ${shown(v.marginLimit)} 元)`],
  ];
  const members = (v.members ?? []).map((m) => [
    shown(m?.idNumber), shown(m?.name), m?.status ? (STATUS_ZH[m.status] ?? m.status) : '—', shown(m?.relationToHead), m?.declared ? '已申报' : m?.declared === false ? '未申报' : '—', m?.counted ? '计入' : m?.counted === false ? '不计入' : '—',
  ]);
  const differences = (v.differences ?? []).map((d) => `${shown(d?.idNumber)}: ${shown(d?.description)}`);
  const items = (v.items ?? []).map((i) => [
    `${shown(i?.no)}. ${shown(i?.title)}`, shown(i?.department), i?.outcome ? `${OUTCOME_ZH[i.outcome] ?? i.outcome} (${i.outcome})` : '—', shown(i?.reason),
    `来源 ${shown(i?.system)} · 时点 ${shown(i?.asOf)} · 版本 ${shown(i?.version)}`,
  ]);
  return { heading, members, differences, items };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function reportHtml(v: ReportView): string {
  const { heading, members, differences, items } = lines(v);
  const rows = (cells: string[][]) => cells.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>低收入家庭经济状况核对报告 ${esc(shown(v.reference))}</title>
<style>body{font-family:'Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:4px 8px;vertical-align:top}th{background:#eee}
.verdict{font-size:1.4em;font-weight:bold}</style></head><body>
<h1>低收入家庭经济状况核对报告</h1>
<p class="verdict">核对结论：${esc(heading[1][1])}</p>
<table>${rows(heading)}</table>
<h2>家庭成员 Members</h2>
<table><tr><th>身份证号</th><th>姓名</th><th>状态</th><th>与户主关系</th><th>申报</th><th>计入</th></tr>${rows(members)}</table>
<h2>申报与户籍差异 Differences</h2>
${differences.length ? `<ul>${differences.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>` : '<p>无</p>'}
<h2>核对项目 Items</h2>
<table><tr><th>项目</th><th>部门</th><th>结果</th><th>说明</th><th>来源</th></tr>${rows(items)}</table>
<p>本报告由汇通数据共享交换平台生成；数据来源与时点见各项目。</p>
</body></html>
`;
}

export async function reportPdf(v: ReportView): Promise<Buffer> {
  // Loaded on first use: pdfkit and its font engine are heavy for every command's start.
  const { default: PDFDocument } = await import('pdfkit');
  const { heading, members, differences, items } = lines(v);
  const { regular, bold } = cjkFonts();
  const doc = new PDFDocument({ size: 'A4', margin: 48, info: { Title: `低收入家庭经济状况核对报告 ${shown(v.reference)}`, Producer: 'Huitong' } });
  doc.registerFont('cjk', regular);
  doc.registerFont('cjk-bold', bold);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('cjk-bold').fontSize(18).text('低收入家庭经济状况核对报告', { align: 'center' });
  doc.moveDown(0.5).fontSize(14).text(`核对结论：${heading[1][1]}`);
  doc.moveDown(0.5).font('cjk').fontSize(10);
  for (const [k, val] of heading) doc.text(`${k}：${val}`);
  doc.moveDown().font('cjk-bold').fontSize(12).text('家庭成员 Members');
  doc.font('cjk').fontSize(10);
  for (const m of members) doc.text(m.join('  '));
  doc.moveDown().font('cjk-bold').fontSize(12).text('申报与户籍差异 Differences');
  doc.font('cjk').fontSize(10).text(differences.length ? differences.join('\n') : '无');
  doc.moveDown().font('cjk-bold').fontSize(12).text('核对项目 Items');
  for (const [title, department, outcome, reason, source] of items) {
    doc.moveDown(0.3).font('cjk-bold').fontSize(10).text(`${title}（${department}）：${outcome}`);
    doc.font('cjk').fontSize(9).text(reason).text(source);
  }
  doc.moveDown().fontSize(8).text('本报告由汇通数据共享交换平台生成；数据来源与时点见各项目。');
  doc.end();
  return done;
}
