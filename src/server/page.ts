/**
 * The chat page at `/`: one self-contained HTML file (no framework, no external requests) that
 * streams answers from `/api/ask`, shows numbered citations linking to the source pages, keeps
 * the conversation for follow-ups, and fits a phone screen. A strict Content-Security-Policy
 * allows only its own inline script (by hash) and style, and requests to this server.
 */
import { createHash } from 'node:crypto';
import type { Router } from './router.js';

const STYLE = `
*{box-sizing:border-box}
html,body{height:100%;margin:0}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f6f7f9;display:flex;flex-direction:column}
header{display:flex;gap:.75rem;align-items:center;padding:.6rem 1rem;background:#fff;border-bottom:1px solid #e1e4ea}
header h1{font-size:1.05rem;margin:0;flex:1}
select,input,textarea,button{font:inherit}
select,input{padding:.3rem .4rem;border:1px solid #c9ced8;border-radius:6px;background:#fff;max-width:45vw}
main{flex:1;overflow-y:auto;padding:1rem}
#log{max-width:46rem;margin:0 auto;display:flex;flex-direction:column;gap:.9rem}
.msg{padding:.7rem .9rem;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere}
.user{align-self:flex-end;background:#2f5fd0;color:#fff;max-width:85%}
.bot{align-self:stretch;background:#fff;border:1px solid #e1e4ea}
.bot.error{border-color:#d33;color:#a11}
.cite{font-size:.8em;vertical-align:super;text-decoration:none;color:#2f5fd0;padding:0 .1em}
.sources{margin:.6rem 0 0;padding:.5rem 0 0 1.4rem;border-top:1px solid #eceef2;font-size:.9rem;white-space:normal}
.sources li{margin:.15rem 0}
.sources li.uncited{opacity:.6}
.sources a{color:#2f5fd0}
summary{cursor:pointer;color:#2f5fd0}
blockquote{margin:.4rem 0;padding:.4rem .7rem;border-left:3px solid #c9d4f0;background:#f8f9fc;white-space:pre-wrap;font-size:.85rem;max-height:16rem;overflow-y:auto}
.hint{color:#6b7280;text-align:center;font-size:.95rem}
form{display:flex;gap:.5rem;padding:.7rem 1rem calc(.7rem + env(safe-area-inset-bottom));background:#fff;border-top:1px solid #e1e4ea}
form>div{max-width:46rem;margin:0 auto;display:flex;gap:.5rem;width:100%}
textarea{flex:1;resize:none;height:2.8rem;padding:.55rem .7rem;border:1px solid #c9ced8;border-radius:8px}
button{padding:0 1.1rem;border:0;border-radius:8px;background:#2f5fd0;color:#fff;cursor:pointer}
button:disabled{opacity:.5;cursor:default}
#keybar{display:none;gap:.5rem;align-items:center;padding:.5rem 1rem;background:#fff6e0;border-bottom:1px solid #f0d89a}
#keybar.show{display:flex}
@media (max-width:520px){body{font-size:15px}header{flex-wrap:wrap}header h1{flex-basis:100%}.user{max-width:92%}}
`;

const SCRIPT = `
(() => {
  const $ = (s) => document.querySelector(s);
  const log = $('#log'), form = $('#ask'), input = $('#q'), send = $('#send'), pick = $('#collection');
  const keybar = $('#keybar'), keyInput = $('#key');
  let history = [];
  let key = localStorage.getItem('ragline-key') || '';
  const headers = (extra) => Object.assign({}, extra, key ? { authorization: 'Bearer ' + key } : {});
  $('#savekey').addEventListener('click', () => {
    key = keyInput.value.trim();
    localStorage.setItem('ragline-key', key);
    keybar.classList.remove('show');
    loadCollections();
  });
  const needKey = () => { keybar.classList.add('show'); keyInput.focus(); };

  async function loadCollections() {
    const r = await fetch('/api/collections', { headers: headers() });
    if (r.status === 401) return needKey();
    if (!r.ok) return;
    const { collections } = await r.json();
    pick.replaceChildren(...collections.map((c) => new Option(c.name + ' (' + c.documents + ' pages)', c.name)));
    const wanted = new URLSearchParams(location.search).get('collection') || localStorage.getItem('ragline-collection');
    if (wanted && collections.some((c) => c.name === wanted)) pick.value = wanted;
    $('#hint').textContent = collections.length ? 'Ask a question about ' + pick.value + '.' : 'No collections yet: run ragline ingest <url> first.';
  }
  pick.addEventListener('change', () => { localStorage.setItem('ragline-collection', pick.value); history = []; });

  function bubble(cls, text) {
    const div = document.createElement('div');
    div.className = 'msg ' + cls;
    if (text) div.textContent = text;
    log.append(div);
    div.scrollIntoView({ block: 'end' });
    return div;
  }

  // A web page is linked; any other source (a file) opens its quoted passages in the list below.
  const isWeb = (url) => /^https?:/.test(url);
  let answers = 0;

  // Answer text with [n] turned into links to source n; built as DOM nodes, never as HTML.
  function renderAnswer(div, body, text, sources) {
    const byNumber = new Map(sources.map((s) => [s.number, s]));
    const nodes = [];
    let last = 0;
    for (const m of text.matchAll(/\\[(\\d+)\\]/g)) {
      const s = byNumber.get(Number(m[1]));
      if (!s) continue;
      nodes.push(document.createTextNode(text.slice(last, m.index)));
      const a = document.createElement('a');
      a.className = 'cite';
      a.textContent = '[' + s.number + ']';
      a.title = s.title;
      if (isWeb(s.url)) { a.href = s.url; a.target = '_blank'; a.rel = 'noopener noreferrer'; }
      else {
        a.href = '#' + div.id + '-' + s.number;
        a.addEventListener('click', () => { const d = document.getElementById(div.id + '-' + s.number)?.querySelector('details'); if (d) d.open = true; });
      }
      nodes.push(a);
      last = m.index + m[0].length;
    }
    nodes.push(document.createTextNode(text.slice(last)));
    body.replaceChildren(...nodes);
  }

  function renderSources(div, sources) {
    div.querySelector('.sources')?.remove();
    if (!sources.length) return;
    const anyCited = sources.some((s) => s.cited);
    const ol = document.createElement('ol');
    ol.className = 'sources';
    for (const s of sources) {
      const li = document.createElement('li');
      li.value = s.number;
      li.id = div.id + '-' + s.number;
      if (anyCited && s.cited === false) li.className = 'uncited';
      if (isWeb(s.url)) {
        const a = document.createElement('a');
        a.textContent = s.title || s.url;
        a.href = s.url; a.target = '_blank'; a.rel = 'noopener noreferrer';
        li.append(a);
      } else {
        const details = document.createElement('details');
        const summary = document.createElement('summary');
        summary.textContent = (s.title || s.url) + ' — ' + decodeURI(s.url.replace('file://', ''));
        const quote = document.createElement('blockquote');
        quote.textContent = (s.passages || []).join('\\n\\n');
        details.append(summary, quote);
        li.append(details);
      }
      ol.append(li);
    }
    div.append(ol);
  }

  async function ask(question) {
    bubble('user', question);
    const div = bubble('bot');
    div.id = 'a' + ++answers;
    const body = document.createElement('div');
    div.append(body);
    div.setAttribute('aria-busy', 'true');
    let text = '', sources = [];
    send.disabled = true;
    try {
      const r = await fetch('/api/ask', {
        method: 'POST',
        headers: headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
        body: JSON.stringify({ question, collection: pick.value || undefined, history }),
      });
      if (r.status === 401) needKey();
      if (!r.ok) throw new Error((await r.json().catch(() => null))?.error?.message || 'HTTP ' + r.status);
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\\n\\n')) >= 0) {
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(raw)?.[1] || 'message';
          const data = JSON.parse(raw.split('\\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\\n'));
          if (event === 'sources') { sources = data.sources; renderSources(div, sources); }
          else if (event === 'token') { text += data.text; renderAnswer(div, body, text, sources); }
          else if (event === 'done') { text = data.answer; sources = data.sources; renderAnswer(div, body, text, sources); renderSources(div, sources); }
          else if (event === 'error') throw new Error(data.error.message);
          div.scrollIntoView({ block: 'end' });
        }
      }
      history.push({ role: 'user', content: question }, { role: 'assistant', content: text });
      history = history.slice(-12);
    } catch (err) {
      div.classList.add('error');
      body.textContent = (text ? text + '\\n\\n' : '') + 'Error: ' + err.message;
    } finally {
      div.removeAttribute('aria-busy');
      div.dataset.done = 'true';
      send.disabled = false;
      input.focus();
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q || send.disabled) return;
    input.value = '';
    $('#hint')?.remove();
    ask(q);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  loadCollections().catch(() => undefined);
})();
`;

/** The page's HTML. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>Ask the docs — ragline</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>Ask the docs</h1><label>Collection <select id="collection" aria-label="Collection"></select></label></header>
<div id="keybar"><label for="key">API key</label><input id="key" type="password" autocomplete="off"><button id="savekey" type="button">Save</button></div>
<main><div id="log" aria-live="polite"><p id="hint" class="hint">Loading…</p></div></main>
<form id="ask"><div><textarea id="q" placeholder="Ask a question…" aria-label="Question" maxlength="2000" autofocus></textarea><button id="send" type="submit">Ask</button></div></form>
<script>${SCRIPT}</script>
</body>
</html>
`;

const scriptHash = createHash('sha256').update(SCRIPT).digest('base64');
const styleHash = createHash('sha256').update(STYLE).digest('base64');

/** The page's Content-Security-Policy: its own script and style, requests to this origin only. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${scriptHash}'`,
  `style-src 'sha256-${styleHash}'`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function registerPage(router: Router): void {
  const body = Buffer.from(PAGE_HTML);
  router.on('GET', '/', ({ res }) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(body.length),
      'content-security-policy': PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    res.end(body);
  });
}
