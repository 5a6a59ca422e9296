/** The page's skeleton; app.js fills it from /api/state. No inline script or style: the CSP allows 'self' only. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>ryot top</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <div class="title"><h1>ryot top</h1><span id="target" class="target"></span></div>
  <div id="status" class="status" role="status" aria-live="polite">connecting…</div>
  <div class="controls">
    <button id="pause" type="button" aria-pressed="false" title="Pause or resume the display (p)">Pause</button>
    <label>Window <select id="window"></select></label>
    <div id="models" class="chips" role="group" aria-label="Models"></div>
  </div>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<main>
  <p id="empty" class="empty"></p>
  <section id="overview" hidden><table><thead></thead><tbody></tbody></table></section>
  <section id="gpu" class="gpu" hidden><h2>GPU devices</h2><div class="grid"></div></section>
  <div id="model-sections"></div>
</main>
<footer>Every rate and percentile covers the window between two scrapes, computed as PromQL's <code>rate()</code> and <code>histogram_quantile()</code> would. Served by <code>ryot top --web</code>.</footer>
</body>
</html>
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2563eb"/><path d="M3 12 6 7l3 3 4-6" fill="none" stroke="#fff" stroke-width="1.6"/></svg>`;
