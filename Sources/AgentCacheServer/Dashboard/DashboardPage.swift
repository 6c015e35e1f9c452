import NIOCore

/// The `GET /dashboard` page: HTML, CSS and JavaScript in one string compiled into the
/// binary, so the page needs no file beside the executable and loads nothing from anywhere
/// else (its Content-Security-Policy forbids it).
///
/// It polls `GET /api/metrics/summary` every 2 s (`MetricsSummary`: the `/metrics` counters)
/// and turns the deltas between two polls into rates, an interval hit ratio and interval
/// latency percentiles (PromQL's `histogram_quantile` over the bucket deltas). With API keys
/// on it asks for a key, keeps it in `sessionStorage` (this tab only), sends it as `X-API-Key`
/// (never in a URL) and shows the tenant's `GET /api/stats`, read once a minute and on demand
/// because each read is a metered request of that key. It reads the SPEC §1 `StatsResponse`
/// shape and the older flat one alike.
///
/// Charts are hand-drawn SVG (one ~60-line function for four line charts of at most 150
/// points) rather than a vendored chart library: a library would add tens of kilobytes to the
/// binary and to every page load for no chart this page needs.
enum DashboardPage {
    /// Only this page's own inline script and style, and requests to its own origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The page as sent; built once.
    static let body = ByteBuffer(string: html)

    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AgentCache dashboard</title>
<style>
:root { --bg:#f5f6f8; --card:#fff; --ink:#1c2330; --muted:#667085; --line:#e4e7ec;
  --edge:#2563eb; --redis:#dc2626; --origin:#7c3aed; --miss:#98a2b3; --ok:#16a34a; --warn:#d97706; --bad:#dc2626; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
header { display:flex; align-items:center; gap:16px; padding:12px 20px; background:var(--ink); color:#fff; flex-wrap:wrap; }
header h1 { font-size:18px; margin:0; font-weight:600; }
header .meta { color:#c0c6d0; font-size:13px; }
#live { width:10px; height:10px; border-radius:50%; background:var(--miss); display:inline-block; }
#live.ok { background:var(--ok); } #live.bad { background:var(--bad); }
main { padding:16px 20px; display:grid; gap:16px; }
.row { display:grid; gap:12px; grid-template-columns:repeat(auto-fit, minmax(128px, 1fr)); }
.charts { display:grid; gap:16px; grid-template-columns:repeat(auto-fit, minmax(280px, 1fr)); }
.panels { display:grid; gap:16px; grid-template-columns:repeat(auto-fit, minmax(260px, 1fr)); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.card h2 { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:0 0 6px; font-weight:600; }
.big { font-size:clamp(18px, 1.9vw, 26px); font-weight:600; font-variant-numeric:tabular-nums; white-space:nowrap; }
.pair { font-size:17px; font-weight:600; font-variant-numeric:tabular-nums; line-height:1.55; }
.pair .sub { display:inline-block; width:30px; }
.sub { color:var(--muted); font-size:12px; }
svg { width:100%; height:auto; display:block; }
svg text { font-size:11px; fill:var(--muted); font-family:inherit; }
dl { display:grid; grid-template-columns:auto 1fr; gap:3px 12px; margin:0; }
dt { color:var(--muted); } dd { margin:0; text-align:right; font-variant-numeric:tabular-nums; }
.bar { height:8px; background:var(--line); border-radius:4px; overflow:hidden; margin:6px 0 8px; }
.bar > div { height:100%; background:var(--edge); width:0; }
.tiers .name { display:inline-block; width:56px; color:var(--muted); }
.tiers .track { display:inline-block; width:calc(100% - 150px); height:10px; background:var(--line); border-radius:5px; overflow:hidden; vertical-align:middle; }
.tiers .track div { height:100%; width:0; }
.tiers .n { display:inline-block; width:86px; text-align:right; font-variant-numeric:tabular-nums; }
.badge { display:inline-block; padding:2px 8px; border-radius:10px; font-weight:600; font-size:12px; background:var(--line); color:var(--muted); }
.badge.closed { background:#dcfce7; color:#166534; } .badge.half_open { background:#fef3c7; color:#92400e; } .badge.open { background:#fee2e2; color:#991b1b; }
#key-form { display:flex; gap:8px; flex-wrap:wrap; align-items:center; }
#key-form input { flex:1; min-width:220px; padding:6px 8px; border:1px solid var(--line); border-radius:6px; font:inherit; }
button { padding:6px 12px; border:1px solid var(--line); background:#fff; border-radius:6px; font:inherit; cursor:pointer; }
button.primary { background:var(--edge); color:#fff; border-color:var(--edge); }
.error { color:var(--bad); }
[hidden] { display:none !important; }
</style>
</head>
<body>
<header>
  <h1>AgentCache</h1>
  <span><span id="live"></span> <span id="status" class="meta">connecting…</span></span>
  <span class="meta">up <span id="uptime">—</span></span>
  <span class="meta" id="mode"></span>
</header>
<main>
  <section class="card" id="key-card" hidden>
    <h2>Your tenant</h2>
    <form id="key-form" autocomplete="off">
      <input id="key-input" type="password" placeholder="API key (ac_…) with stats:read" aria-label="API key" spellcheck="false">
      <button class="primary" type="submit">Show my tenant</button>
      <button type="button" id="key-forget" hidden>Forget key</button>
    </form>
    <div class="sub">The key stays in this tab's session storage and is sent only as an <code>X-API-Key</code> header, never in a URL.
      Node-wide figures below need no key; tenant figures need the tenant's key (the admin token is not a tenant).</div>
    <div id="key-error" class="error"></div>
  </section>

  <section class="row">
    <div class="card"><h2>Hit ratio</h2><div class="big" id="hit-ratio" data-value="">—</div><div class="sub">last 2 s: <span id="hit-ratio-now">—</span></div></div>
    <div class="card"><h2>Hits</h2><div class="big" id="hits-total" data-value="0">—</div><div class="sub"><span id="hits-rate">—</span></div></div>
    <div class="card"><h2>Misses</h2><div class="big" id="misses-total" data-value="0">—</div><div class="sub"><span id="misses-rate">—</span></div></div>
    <div class="card"><h2>Requests</h2><div class="big" id="req-rate">—</div><div class="sub"><span id="req-total">—</span> served · <span id="req-5xx">—</span> 5xx</div></div>
    <div class="card"><h2>Latency</h2><div class="pair"><span class="sub">p50</span> <span id="lat-p50">—</span><br><span class="sub">p99</span> <span id="lat-p99">—</span></div><div class="sub">cache API, since start</div></div>
    <div class="card"><h2>Rate limited</h2><div class="big" id="rate-limited" data-value="0">—</div><div class="sub">429 answers</div></div>
    <div class="card"><h2>Tokens saved</h2><div class="big" id="tokens-saved">—</div><div class="sub">node, since start</div></div>
    <div class="card"><h2>Dollars saved</h2><div class="big" id="cost-saved">—</div><div class="sub">node, since start</div></div>
  </section>

  <section class="charts">
    <div class="card"><h2>Hit ratio over time</h2><svg id="chart-ratio" viewBox="0 0 400 130"></svg></div>
    <div class="card"><h2>Requests per second</h2><svg id="chart-rps" viewBox="0 0 400 130"></svg></div>
    <div class="card"><h2>Latency (cache API, per interval)</h2><svg id="chart-latency" viewBox="0 0 400 130"></svg></div>
    <div class="card tiers"><h2>Hits per tier, misses</h2>
      <div><span class="name">edge</span><span class="track"><div id="bar-edge" style="background:var(--edge)"></div></span><span class="n" id="tier-edge">—</span></div>
      <div><span class="name">redis</span><span class="track"><div id="bar-redis" style="background:var(--redis)"></div></span><span class="n" id="tier-redis">—</span></div>
      <div><span class="name">origin</span><span class="track"><div id="bar-origin" style="background:var(--origin)"></div></span><span class="n" id="tier-origin">—</span></div>
      <div><span class="name">miss</span><span class="track"><div id="bar-miss" style="background:var(--miss)"></div></span><span class="n" id="tier-miss">—</span></div>
      <div class="sub" style="margin-top:8px">Lookups: <span id="lookups">—</span></div>
    </div>
  </section>

  <section class="panels">
    <div class="card"><h2>Edge tier</h2>
      <div class="sub"><span id="edge-bytes">—</span> of <span id="edge-capacity">—</span></div>
      <div class="bar"><div id="edge-fill"></div></div>
      <dl>
        <dt>entries</dt><dd id="edge-entries">—</dd>
        <dt>stored / raw</dt><dd><span id="edge-stored">—</span> / <span id="edge-raw">—</span></dd>
        <dt>compression</dt><dd id="edge-ratio">—</dd>
        <dt>evictions</dt><dd id="edge-evictions">—</dd>
        <dt>expirations</dt><dd id="edge-expirations">—</dd>
        <dt>rejections</dt><dd id="edge-rejections">—</dd>
      </dl>
    </div>
    <div class="card"><h2>Redis tier</h2>
      <div style="margin-bottom:8px">circuit <span class="badge" id="redis-circuit">—</span></div>
      <dl>
        <dt>healthy</dt><dd id="redis-up">—</dd>
        <dt>errors</dt><dd id="redis-errors">—</dd>
        <dt>timeouts</dt><dd id="redis-timeouts">—</dd>
        <dt>refused (breaker open)</dt><dd id="redis-rejections">—</dd>
        <dt>promotions to edge</dt><dd id="redis-promotions">—</dd>
      </dl>
    </div>
    <div class="card"><h2>Origin tier</h2>
      <div style="margin-bottom:8px"><span class="badge" id="origin-state">—</span></div>
      <dl>
        <dt>fetches ok</dt><dd id="origin-ok">—</dd>
        <dt>not found</dt><dd id="origin-not-found">—</dd>
        <dt>passed through</dt><dd id="origin-pass">—</dd>
        <dt>failed</dt><dd id="origin-failed">—</dd>
        <dt>coalesced</dt><dd id="origin-coalesced">—</dd>
        <dt>stale served</dt><dd id="origin-stale">—</dd>
        <dt>bytes fetched</dt><dd id="origin-bytes">—</dd>
      </dl>
    </div>
    <div class="card" id="tenant-card" hidden><h2>Tenant <span id="tenant-name" style="text-transform:none"></span></h2>
      <div class="sub" style="margin-bottom:6px">
        <select id="tenant-period" aria-label="period"><option>1h</option><option selected>24h</option><option>7d</option><option>30d</option></select>
        <button type="button" id="tenant-refresh">Refresh</button> read every 60 s
      </div>
      <dl>
        <dt>requests</dt><dd id="tenant-requests">—</dd>
        <dt>hits</dt><dd id="tenant-hits">—</dd>
        <dt>misses</dt><dd id="tenant-misses">—</dd>
        <dt>hit rate</dt><dd id="tenant-hit-rate">—</dd>
        <dt>avg latency</dt><dd id="tenant-latency">—</dd>
        <dt>tokens saved</dt><dd id="tenant-tokens">—</dd>
        <dt>cost saved</dt><dd id="tenant-cost">—</dd>
        <dt>monthly quota</dt><dd><span id="tenant-quota-used">—</span> of <span id="tenant-quota-limit">—</span></dd>
      </dl>
      <div class="bar"><div id="tenant-quota-fill"></div></div>
      <div class="sub"><span id="tenant-quota-percent">—</span><span id="tenant-quota-left"> · <span id="tenant-quota-remaining">—</span> left</span></div>
    </div>
  </section>
</main>
<noscript><p style="padding:20px">The dashboard draws with JavaScript; <code>GET /api/metrics/summary</code> has the same figures as JSON.</p></noscript>
<script>
'use strict';
const POLL_MS = 2000, STATS_MS = 60000, HISTORY = 150, KEY = 'agentcache.apiKey';
const $ = (id) => document.getElementById(id);
const series = { ratio: [], rps: [], missRps: [], p50: [], p99: [] };
let previous = null, apiKeys = false;

function show(id, text, value) {
  const node = $(id);
  if (!node) return;
  node.textContent = text;
  if (value !== undefined) node.dataset.value = String(value);
}
const count = (n) => n == null ? '—' : Math.round(n).toLocaleString('en-US');
const percent = (ratio) => ratio == null ? '—' : (ratio * 100).toFixed(1) + '%';
const rate = (r) => r == null ? '—' : (r < 10 ? r.toFixed(1) : Math.round(r).toLocaleString('en-US')) + '/s';
function ms(v) {
  if (v == null) return '—';
  if (v < 1) return Math.round(v * 1000) + ' µs';
  return (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)) + ' ms';
}
function bytes(b) {
  if (b == null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
  return (i ? b.toFixed(1) : b) + ' ' + units[i];
}
const dollars = (x) => x == null ? '—' : typeof x === 'string' ? x : '$' + Number(x).toFixed(Math.abs(x) < 1 ? 4 : 2);
const push = (list, value) => { list.push(value); if (list.length > HISTORY) list.shift(); };

// PromQL's histogram_quantile: cumulative counts (the last one is +Inf) over upper bounds.
function quantile(q, bounds, counts) {
  const total = counts[counts.length - 1];
  if (!total) return null;
  const rank = q * total;
  const i = counts.findIndex((c) => c >= rank);
  if (i < 0) return null;
  if (i >= bounds.length) return bounds.length ? bounds[bounds.length - 1] : null;
  const lower = i ? bounds[i - 1] : 0, below = i ? counts[i - 1] : 0, inside = counts[i] - below;
  return inside > 0 ? lower + (bounds[i] - lower) * ((rank - below) / inside) : lower;
}

const SVG = 'http://www.w3.org/2000/svg';
function svgNode(name, attributes, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  parent.appendChild(node);
  return node;
}
// A line chart of up to HISTORY points per line, newest on the right; null values break a line.
function chart(svg, lines, format, fixedMax) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const W = 400, H = 130, left = 46, right = 6, top = 14, bottom = 8;
  const values = lines.flatMap((l) => l.values.filter((v) => v != null));
  let max = fixedMax || Math.max(0, ...values) * 1.15;
  if (!max) max = 1;
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  // Newest on the right; until the history fills, the points spread over at least 30 slots.
  const span = Math.max(30, ...lines.map((l) => l.values.length));
  const x = (i, n) => left + (W - left - right) * (span - n + i) / (span - 1);
  for (const f of [0, 0.5, 1]) {
    svgNode('line', { x1: left, x2: W - right, y1: y(max * f), y2: y(max * f), stroke: '#e4e7ec' }, svg);
    svgNode('text', { x: left - 4, y: y(max * f) + 3, 'text-anchor': 'end' }, svg).textContent = format(max * f);
  }
  let legendX = W - right;
  for (const line of lines.slice().reverse()) {
    const label = svgNode('text', { x: legendX, y: 10, 'text-anchor': 'end', style: 'fill:' + line.color }, svg);
    label.textContent = line.label;
    legendX -= 8 + line.label.length * 5.5;
  }
  for (const line of lines) {
    let d = '', pen = false;
    line.values.forEach((v, i) => {
      if (v == null) { pen = false; return; }
      d += (pen ? 'L' : 'M') + x(i, line.values.length).toFixed(1) + ' ' + y(v).toFixed(1);
      pen = true;
    });
    if (d) svgNode('path', { d, fill: 'none', stroke: line.color, 'stroke-width': 1.8, 'stroke-linejoin': 'round' }, svg);
  }
}

function render(s) {
  const c = s.cache, edge = s.edge, redis = s.redis, origin = s.origin;
  apiKeys = s.api_keys;
  $('key-card').hidden = !apiKeys;
  show('mode', apiKeys ? 'API keys on' : 'open mode (tenant default)');
  show('uptime', s.uptime_ms >= 3600000 ? (s.uptime_ms / 3600000).toFixed(1) + ' h' : Math.round(s.uptime_ms / 1000) + ' s');

  // Deltas since the previous poll, over the server's own elapsed time.
  let interval = null;
  if (previous && s.uptime_ms > previous.uptime_ms) {
    const seconds = (s.uptime_ms - previous.uptime_ms) / 1000;
    const lookups = c.lookups - previous.cache.lookups, hits = c.hits - previous.cache.hits;
    const counts = s.latency_ms.counts.map((n, i) => n - (previous.latency_ms.counts[i] || 0));
    interval = {
      ratio: lookups > 0 ? hits / lookups : null,
      rps: (s.requests.served - previous.requests.served) / seconds,
      hitRps: hits / seconds,
      missRps: (c.misses - previous.cache.misses) / seconds,
      p50: quantile(0.5, s.latency_ms.le_ms, counts),
      p99: quantile(0.99, s.latency_ms.le_ms, counts),
    };
  }
  if (s.uptime_ms < (previous ? previous.uptime_ms : 0)) for (const k in series) series[k].length = 0;
  previous = s;

  show('hit-ratio', percent(c.hit_ratio), c.hit_ratio == null ? '' : c.hit_ratio);
  show('hit-ratio-now', interval ? percent(interval.ratio) : '—');
  show('hits-total', count(c.hits), c.hits);
  show('misses-total', count(c.misses), c.misses);
  show('hits-rate', interval ? rate(interval.hitRps) : '—');
  show('misses-rate', interval ? rate(interval.missRps) : '—');
  show('req-rate', interval ? rate(interval.rps) : '—');
  show('req-total', count(s.requests.served));
  show('req-5xx', count(s.requests.errors_5xx));
  show('lat-p50', ms(s.latency_ms.p50));
  show('lat-p99', ms(s.latency_ms.p99));
  show('rate-limited', count(s.requests.rate_limited), s.requests.rate_limited);
  show('tokens-saved', count(s.savings.tokens_saved));
  show('cost-saved', dollars(s.savings.cost_saved_usd));

  const tiers = { edge: c.hits_by_tier.edge, redis: c.hits_by_tier.redis, origin: c.hits_by_tier.origin, miss: c.misses };
  const most = Math.max(1, ...Object.values(tiers));
  for (const [name, n] of Object.entries(tiers)) {
    show('tier-' + name, count(n), n);
    $('bar-' + name).style.width = (100 * n / most).toFixed(1) + '%';
  }
  show('lookups', count(c.lookups));

  show('edge-bytes', bytes(edge.bytes));
  show('edge-capacity', bytes(edge.capacity_bytes));
  $('edge-fill').style.width = edge.capacity_bytes ? Math.min(100, 100 * edge.bytes / edge.capacity_bytes).toFixed(1) + '%' : '0';
  show('edge-entries', count(edge.entries), edge.entries);
  show('edge-stored', bytes(edge.stored_bytes));
  show('edge-raw', bytes(edge.raw_bytes));
  show('edge-ratio', edge.compression_ratio.toFixed(2) + '×');
  show('edge-evictions', count(edge.evictions));
  show('edge-expirations', count(edge.expirations));
  show('edge-rejections', count(edge.rejections));

  const circuit = redis.enabled ? (redis.circuit || 'unknown') : 'disabled';
  show('redis-circuit', circuit.replace('_', '-'));
  $('redis-circuit').className = 'badge ' + circuit;
  show('redis-up', redis.enabled ? (redis.up ? 'yes' : 'no') : '—');
  show('redis-errors', count(redis.errors));
  show('redis-timeouts', count(redis.timeouts));
  show('redis-rejections', count(redis.circuit_rejections));
  show('redis-promotions', count(redis.promotions));

  show('origin-state', origin.enabled ? 'enabled' : 'disabled');
  $('origin-state').className = 'badge ' + (origin.enabled ? 'closed' : '');
  show('origin-ok', count(origin.fetches.ok));
  show('origin-not-found', count(origin.fetches.not_found));
  show('origin-pass', count(origin.fetches.pass_through));
  show('origin-failed', count(origin.fetches.error));
  show('origin-coalesced', count(origin.coalesced));
  show('origin-stale', count(origin.stale_served));
  show('origin-bytes', bytes(origin.bytes));

  if (interval) {
    push(series.ratio, interval.ratio == null ? null : interval.ratio * 100);
    push(series.rps, interval.rps);
    push(series.missRps, interval.missRps);
    push(series.p50, interval.p50);
    push(series.p99, interval.p99);
  }
  chart($('chart-ratio'), [{ label: 'hit ratio', color: '#2563eb', values: series.ratio }], (v) => v.toFixed(0) + '%', 100);
  chart($('chart-rps'), [
    { label: 'requests/s', color: '#2563eb', values: series.rps },
    { label: 'misses/s', color: '#98a2b3', values: series.missRps },
  ], (v) => v < 10 ? v.toFixed(1) : Math.round(v).toString());
  chart($('chart-latency'), [
    { label: 'p50', color: '#16a34a', values: series.p50 },
    { label: 'p99', color: '#dc2626', values: series.p99 },
  ], ms);
}

async function poll() {
  try {
    const answer = await fetch('/api/metrics/summary', { cache: 'no-store' });
    if (!answer.ok) throw new Error('summary answered ' + answer.status);
    render(await answer.json());
    $('live').className = 'ok';
    show('status', 'live · ' + new Date().toLocaleTimeString());
  } catch (error) {
    $('live').className = 'bad';
    show('status', 'no answer: ' + error.message);
  }
}

// The client's StatsResponse (SPEC §1), or the flat shape answered before it (hit_rate 0...1).
function tenantFigures(s) {
  if (s.metrics) {
    const m = s.metrics, q = s.quota || {};
    return { namespace: s.namespace, requests: m.total_requests, hits: m.cache_hits, misses: m.cache_misses,
      hitRate: m.hit_rate == null ? null : Number(m.hit_rate) / 100, latency: m.avg_latency_ms,
      tokens: m.tokens_saved, cost: m.cost_saved,
      limit: q.monthly_limit, used: q.monthly_used, remaining: q.monthly_remaining,
      usage: q.usage_percent == null ? null : Number(q.usage_percent) / 100 };
  }
  const q = s.quota || {};
  return { namespace: s.namespace, requests: s.requests, hits: s.hits, misses: s.misses,
    hitRate: s.hit_rate, latency: null, tokens: s.tokens_saved, cost: s.cost_saved,
    limit: q.limit, used: q.used, remaining: q.remaining, usage: q.limit ? q.used / q.limit : null };
}

async function readStats() {
  const key = sessionStorage.getItem(KEY);
  $('key-forget').hidden = !key;
  if (apiKeys && !key) { $('tenant-card').hidden = true; return; }
  const headers = key ? { 'X-API-Key': key } : {};
  try {
    const answer = await fetch('/api/stats?period=' + encodeURIComponent($('tenant-period').value), { headers, cache: 'no-store' });
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(body.error || ('stats answered ' + answer.status));
    const t = tenantFigures(body);
    show('key-error', '');
    $('tenant-card').hidden = false;
    show('tenant-name', t.namespace || '');
    show('tenant-requests', count(t.requests), t.requests);
    show('tenant-hits', count(t.hits), t.hits);
    show('tenant-misses', count(t.misses), t.misses);
    show('tenant-hit-rate', percent(t.hitRate));
    show('tenant-latency', ms(t.latency));
    show('tenant-tokens', count(t.tokens));
    show('tenant-cost', dollars(t.cost));
    show('tenant-quota-used', count(t.used));
    show('tenant-quota-limit', t.limit == null ? 'unlimited' : count(t.limit));
    show('tenant-quota-remaining', count(t.remaining));
    $('tenant-quota-left').hidden = t.remaining == null;
    show('tenant-quota-percent', t.limit == null ? 'no monthly limit' : percent(t.usage) + ' used');
    $('tenant-quota-fill').style.width = t.usage == null ? '0' : Math.min(100, t.usage * 100).toFixed(1) + '%';
  } catch (error) {
    $('tenant-card').hidden = true;
    show('key-error', 'Tenant figures: ' + error.message);
  }
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('key-input').value.trim();
  $('key-input').value = '';
  if (key) sessionStorage.setItem(KEY, key);
  readStats();
});
$('key-forget').addEventListener('click', () => { sessionStorage.removeItem(KEY); readStats(); });
$('tenant-refresh').addEventListener('click', readStats);
$('tenant-period').addEventListener('change', readStats);

(async () => {
  await poll();
  readStats();
  setInterval(() => { if (!document.hidden) poll(); }, POLL_MS);
  setInterval(() => { if (!document.hidden) readStats(); }, STATS_MS);
})();
</script>
</body>
</html>
"""#
}
