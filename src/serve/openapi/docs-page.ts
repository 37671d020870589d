/**
 * The page at /docs: it reads /openapi.json and lists the operations by tag, each with its scope, its
 * parameters, its body and its answers (schemas and examples). Everything is in this page, so it works
 * where the server cannot reach the internet.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Panoramix API</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; color: #1d232a; }
  h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #d0d7de; text-transform: capitalize; }
  details.op { border: 1px solid #d0d7de; border-radius: 6px; margin: 0.4rem 0; }
  details.op > summary { cursor: pointer; padding: 0.4rem 0.6rem; display: flex; gap: 0.6rem; align-items: baseline; }
  details.op[open] > summary { border-bottom: 1px solid #d0d7de; }
  .body { padding: 0.4rem 0.9rem 0.8rem; }
  .method { font: bold 12px monospace; color: #fff; border-radius: 4px; padding: 2px 6px; min-width: 3.5rem; text-align: center; }
  .get { background: #0969da; } .post { background: #1a7f37; } .delete { background: #cf222e; } .put, .patch { background: #9a6700; } .other { background: #6e7781; }
  .path { font-family: monospace; font-weight: 600; }
  .scope { margin-left: auto; font-size: 12px; color: #57606a; white-space: nowrap; }
  pre { background: #f6f8fa; padding: 0.5rem; border-radius: 4px; overflow: auto; max-height: 24rem; font-size: 12px; }
  table { border-collapse: collapse; } td, th { text-align: left; padding: 2px 10px 2px 0; vertical-align: top; }
  code { font-size: 13px; } .muted { color: #57606a; }
  input { font: inherit; padding: 0.3rem; width: 20rem; }
</style>
</head>
<body>
<h1>Panoramix API</h1>
<p class="muted">The routes of this server, from <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Send tokens as <code>Authorization: Bearer TOKEN</code>.</p>
<p><input id="filter" placeholder="Filter by path or summary" aria-label="Filter"></p>
<div id="api">Loading /openapi.json…</div>
<script>
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const json = (v) => '<pre>' + esc(JSON.stringify(v, null, 2)) + '</pre>';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
function content(c) {
  return Object.entries(c || {}).map(([type, m]) =>
    '<p><code>' + esc(type) + '</code></p>' + (m.schema ? '<p class="muted">Schema</p>' + json(m.schema) : '') +
    (m.example !== undefined ? '<p class="muted">Example</p>' + json(m.example) : '')).join('');
}
function render(doc) {
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ['other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, op });
    }
  let html = '';
  for (const tag of [...byTag.keys()].sort()) {
    html += '<section><h2>' + esc(tag) + '</h2>';
    for (const { path, method, op } of byTag.get(tag)) {
      const params = (op.parameters || []).map((p) => '<tr><td><code>' + esc(p.name) + '</code></td><td>' + esc(p.in) +
        (p.required ? ', required' : '') + '</td><td><code>' + esc(JSON.stringify(p.schema)) + '</code></td><td>' + esc(p.description || '') + '</td></tr>').join('');
      const responses = Object.entries(op.responses || {}).map(([status, r]) =>
        '<h4>' + esc(status) + ' <span class="muted">' + esc(r.description) + '</span></h4>' + content(r.content)).join('');
      html += '<details class="op" id="' + esc(op.operationId) + '" data-text="' + esc((path + ' ' + op.summary).toLowerCase()) + '"><summary>' +
        '<span class="method ' + (METHODS.includes(method) ? method : 'other') + '">' + esc(method.toUpperCase()) + '</span>' +
        '<span class="path">' + esc(path) + '</span><span>' + esc(op.summary) + '</span>' +
        '<span class="scope">scope: ' + esc(op['x-panoramix-scope']) + (op['x-panoramix-limited'] ? ' (limited tokens too)' : '') + '</span></summary><div class="body">' +
        (op.description ? '<p>' + esc(op.description) + '</p>' : '') +
        (params ? '<h3>Parameters</h3><table><tr><th>Name</th><th>In</th><th>Schema</th><th></th></tr>' + params + '</table>' : '') +
        (op.requestBody ? '<h3>Body</h3>' + (op.requestBody.description ? '<p>' + esc(op.requestBody.description) + '</p>' : '') + content(op.requestBody.content) : '') +
        '<h3>Answers</h3>' + responses + '</div></details>';
    }
    html += '</section>';
  }
  html += '<section><h2>Tokens</h2>' + Object.entries(doc.components.securitySchemes).map(([name, s]) =>
    '<p><code>' + esc(name) + '</code>: ' + esc(s.description) + '</p>').join('') + '</section>';
  document.getElementById('api').innerHTML = html;
  // /docs#post_v1_events opens that operation (each summary links to itself).
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) {
    target.open = true;
    target.scrollIntoView();
  }
}
fetch('/openapi.json').then((r) => r.json()).then(render, (e) => {
  document.getElementById('api').textContent = 'Could not read /openapi.json: ' + e;
});
document.getElementById('filter').addEventListener('input', (e) => {
  const q = e.target.value.toLowerCase();
  for (const d of document.querySelectorAll('details.op')) d.hidden = q !== '' && !d.dataset.text.includes(q);
});
</script>
</body>
</html>
`;
