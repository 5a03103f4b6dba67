/**
 * The chat page at `/`: one HTML file (no framework, no external requests) that streams answers
 * from `/api/ask` rendered as sanitized Markdown, shows numbered citations linking to the source
 * pages, keeps the conversation for follow-ups, fits a phone screen and follows the system's dark
 * mode. A strict Content-Security-Policy allows only its own inline script (by hash), the two
 * vendored scripts this server serves (`/assets/*.js`, see page-assets.ts), its style, and
 * requests to this server.
 */
import { createHash } from 'node:crypto';
import { pageAssets } from './page-assets.js';
import { PAGE_SCRIPT } from './page-script.js';
import type { Router } from './router.js';

const STYLE = `
:root{color-scheme:light dark;--fg:#1d2330;--bg:#f6f7f9;--panel:#fff;--line:#e1e4ea;--line2:#c9ced8;--accent:#2f5fd0;--accent-fg:#fff;--muted:#6b7280;--code:#f1f3f7;--quote:#f8f9fc;--quote-line:#c9d4f0;--err:#a11;--err-line:#d33;--warn:#fff6e0;--warn-line:#f0d89a}
@media (prefers-color-scheme:dark){:root{--fg:#e4e7ee;--bg:#14171d;--panel:#1d2129;--line:#323846;--line2:#465063;--accent:#7aa2ff;--accent-fg:#0d1220;--muted:#9aa3b2;--code:#262b35;--quote:#1a1e26;--quote-line:#3b4a72;--err:#ff8f8f;--err-line:#d55;--warn:#3a3320;--warn-line:#6b5a2a}}
*{box-sizing:border-box}
html,body{height:100%;margin:0}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);display:flex;flex-direction:column}
header{display:flex;gap:.75rem;align-items:center;padding:.6rem 1rem;background:var(--panel);border-bottom:1px solid var(--line)}
header h1{font-size:1.05rem;margin:0;flex:1}
select,input,textarea,button{font:inherit;color:inherit}
select,input{padding:.3rem .4rem;border:1px solid var(--line2);border-radius:6px;background:var(--panel);max-width:45vw}
main{flex:1;overflow-y:auto;padding:1rem}
#log{max-width:46rem;margin:0 auto;display:flex;flex-direction:column;gap:.9rem}
.msg{padding:.7rem .9rem;border-radius:10px;overflow-wrap:anywhere}
.user{align-self:flex-end;background:var(--accent);color:var(--accent-fg);max-width:85%;white-space:pre-wrap}
.bot{align-self:stretch;background:var(--panel);border:1px solid var(--line)}
.bot.error{border-color:var(--err-line);color:var(--err);white-space:pre-wrap}
.answer>:first-child{margin-top:0}.answer>:last-child{margin-bottom:0}
.answer p,.answer ul,.answer ol,.answer pre,.answer table{margin:.5rem 0}
.answer code{background:var(--code);padding:.05rem .3rem;border-radius:4px;font-size:.9em}
.answer pre{background:var(--code);padding:.6rem .7rem;border-radius:6px;overflow-x:auto}
.answer pre code{padding:0;background:none}
.answer table{border-collapse:collapse}.answer th,.answer td{border:1px solid var(--line);padding:.2rem .5rem}
.answer a{color:var(--accent)}
.code{position:relative}
.copy{position:absolute;top:.3rem;right:.3rem;padding:.1rem .5rem;font-size:.8rem;border-radius:5px;background:var(--panel);color:var(--fg);border:1px solid var(--line2)}
.note{color:var(--muted);font-style:italic}
.typing{display:inline-flex;gap:.25rem;align-items:center;height:1.5rem}
.typing i{width:.45rem;height:.45rem;border-radius:50%;background:var(--muted);animation:blink 1.2s infinite both}
.typing i:nth-child(3){animation-delay:.2s}.typing i:nth-child(4){animation-delay:.4s}
@keyframes blink{0%,80%,100%{opacity:.25}40%{opacity:1}}
@media (prefers-reduced-motion:reduce){.typing i{animation:none;opacity:.6}}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.cite{font-size:.8em;vertical-align:super;text-decoration:none;color:var(--accent);padding:0 .1em}
.sources{margin:.6rem 0 0;padding:.5rem 0 0 1.4rem;border-top:1px solid var(--line);font-size:.9rem}
.sources li{margin:.15rem 0}
.sources li.uncited{opacity:.6}
.sources a{color:var(--accent)}
summary{cursor:pointer;color:var(--accent)}
blockquote{margin:.4rem 0;padding:.4rem .7rem;border-left:3px solid var(--quote-line);background:var(--quote);white-space:pre-wrap;font-size:.85rem;max-height:16rem;overflow-y:auto}
.hint{color:var(--muted);text-align:center;font-size:.95rem}
form{display:flex;gap:.5rem;padding:.7rem 1rem calc(.7rem + env(safe-area-inset-bottom));background:var(--panel);border-top:1px solid var(--line)}
form>div{max-width:46rem;margin:0 auto;display:flex;gap:.5rem;width:100%}
textarea{flex:1;resize:none;height:2.8rem;padding:.55rem .7rem;border:1px solid var(--line2);border-radius:8px;background:var(--bg)}
button{padding:0 1.1rem;border:0;border-radius:8px;background:var(--accent);color:var(--accent-fg);cursor:pointer}
button[hidden]{display:none}
#stop{background:var(--err-line);color:#fff}
#newchat{padding:.3rem .8rem;background:transparent;color:var(--accent);border:1px solid var(--line2)}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
#keybar{display:none;gap:.5rem;align-items:center;padding:.5rem 1rem;background:var(--warn);border-bottom:1px solid var(--warn-line)}
#keybar.show{display:flex}
@media (max-width:520px){body{font-size:15px}header{flex-wrap:wrap}header h1{flex-basis:100%}.user{max-width:92%}}
`;

/** The page's HTML. */
export function pageHtml(): string {
  const vendored = pageAssets().map((a) => `<script src="${a.path}" integrity="${a.integrity}"></script>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>Ask the docs — ragline</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>Ask the docs</h1><label>Collection <select id="collection"></select></label><button id="newchat" type="button">New chat</button></header>
<div id="keybar"><label for="key">API key</label><input id="key" type="password" autocomplete="off"><button id="savekey" type="button">Save</button></div>
<main><div id="log" role="log" aria-live="polite" aria-label="Conversation"><p id="hint" class="hint">Loading…</p></div><p id="status" class="sr" role="status" aria-live="polite"></p></main>
<form id="ask"><div><textarea id="q" placeholder="Ask a question… (Enter sends, Shift+Enter for a new line, Escape stops)" aria-label="Question" maxlength="2000" autofocus></textarea><button id="send" type="submit">Ask</button><button id="stop" type="button" hidden aria-label="Stop the answer">Stop</button></div></form>
${vendored}
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

const scriptHash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
const styleHash = createHash('sha256').update(STYLE).digest('base64');

/** The page's Content-Security-Policy: its own script and style, requests to this origin only. */
export const PAGE_CSP = [
  "default-src 'none'",
  // Its own inline script by hash, and the vendored scripts it loads from this server (pinned by SRI).
  `script-src 'self' 'sha256-${scriptHash}'`,
  `style-src 'sha256-${styleHash}'`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function registerPage(router: Router): void {
  const body = Buffer.from(pageHtml());
  for (const asset of pageAssets()) {
    router.on('GET', asset.path, ({ res }) => {
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'content-length': String(asset.body.length),
        'x-content-type-options': 'nosniff',
        'cache-control': 'public, max-age=86400',
      });
      res.end(asset.body);
    });
  }
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
