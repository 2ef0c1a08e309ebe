/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export type Lang = 'zh' | 'en';

/** `?lang=en` shows English; Chinese is the default. */
export function langOf(url: URL): Lang {
  return url.searchParams.get('lang') === 'en' ? 'en' : 'zh';
}

/**
 * A page of the public portal: Pico CSS and the Noto Sans SC web font served by the hub itself
 * (headless browsers and offline networks have no CJK font of their own).
 */
export function page(lang: Lang, title: string, body: string, toggleHref: string): string {
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/fonts/noto-sans-sc/400.css">
<link rel="stylesheet" href="/assets/fonts/noto-sans-sc/700.css">
<link rel="stylesheet" href="/assets/pico/pico.min.css">
<link rel="alternate" type="application/ld+json" href="/open/dcat.jsonld" title="DCAT">
<style>
  :root { --pico-font-family: 'Noto Sans SC', system-ui, sans-serif; }
  .chart { width: 100%; max-width: 820px; height: auto; font-family: 'Noto Sans SC', sans-serif; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<header class="container">
<nav>
  <ul><li><a href="/open${lang === 'en' ? '?lang=en' : ''}"><strong>${lang === 'zh' ? '汇通公开数据' : 'Huitong open data'}</strong></a></li></ul>
  <ul><li><a href="${escapeHtml(toggleHref)}" data-lang-toggle>${lang === 'zh' ? 'English' : '中文'}</a></li><li><a href="/open/dcat.jsonld">DCAT</a></li></ul>
</nav>
</header>
<main class="container">
${body}
</main>
<footer class="container"><small>${
    lang === 'zh'
      ? '仅公开统计汇总和不含个人信息的字段；人数少于 5 的格子不公布。'
      : 'Only aggregates and fields that identify no person are published; cells of fewer than 5 persons are suppressed.'
  }</small></footer>
</body>
</html>`;
}
