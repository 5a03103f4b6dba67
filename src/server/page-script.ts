/**
 * The chat page's own script (inline, allowed by its hash). It streams answers from `/api/ask`,
 * renders their Markdown with `marked` and sanitizes the result with DOMPurify into DOM nodes (raw
 * HTML in an answer is shown as text, never parsed), links `[n]` citations to the sources, adds a
 * copy button to code blocks, shows a typing indicator until the first words, and lets the user
 * stop an answer (button or Escape) or start a new chat. Sources are built with `textContent` only.
 * Written without backticks or `${`: it lives in a template string.
 */
export const PAGE_SCRIPT = String.raw`
(() => {
  const $ = (s) => document.querySelector(s);
  const log = $('#log'), form = $('#ask'), input = $('#q'), send = $('#send'), stopButton = $('#stop'), pick = $('#collection');
  const keybar = $('#keybar'), keyInput = $('#key'), announce = $('#status');
  let history = [];
  let current = null;
  let key = localStorage.getItem('ragline-key') || '';
  const headers = (extra) => Object.assign({}, extra, key ? { authorization: 'Bearer ' + key } : {});

  // Markdown: raw HTML in the text is escaped (shown as typed), and the output is sanitized again.
  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  marked.use({ gfm: true, renderer: { html: (token) => escapeHtml(token.text || token.raw || '') } });
  const PURIFY = {
    ALLOWED_TAGS: ['p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
    ALLOWED_ATTR: ['href', 'title', 'class', 'start', 'align'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
    RETURN_DOM_FRAGMENT: true,
  };
  const markdown = (text) => DOMPurify.sanitize(marked.parse(text).trim(), PURIFY);

  $('#savekey').addEventListener('click', () => {
    key = keyInput.value.trim();
    localStorage.setItem('ragline-key', key);
    keybar.classList.remove('show');
    loadCollections();
  });
  const needKey = () => { keybar.classList.add('show'); keyInput.focus(); };
  const pages = (n) => n + (n === 1 ? ' page' : ' pages');

  async function loadCollections() {
    const r = await fetch('/api/collections', { headers: headers() });
    if (r.status === 401) return needKey();
    if (!r.ok) return;
    const data = await r.json();
    const collections = data.collections;
    pick.replaceChildren(...collections.map((c) => {
      const option = new Option(c.name + ' (' + pages(c.documents) + ')' + (c.unavailable ? ' — unavailable' : ''), c.name);
      if (c.unavailable) option.title = c.unavailable;
      return option;
    }));
    const has = (name) => name && collections.some((c) => c.name === name);
    const wanted = [new URLSearchParams(location.search).get('collection'), localStorage.getItem('ragline-collection'), data.default].find(has);
    if (wanted) pick.value = wanted;
    hint().textContent = collections.length ? 'Ask a question about ' + pick.value + '.' : 'No collections yet: run ragline ingest <url> first.';
  }
  pick.addEventListener('change', () => { localStorage.setItem('ragline-collection', pick.value); startOver(); });

  function hint() {
    let p = $('#hint');
    if (!p) { p = document.createElement('p'); p.id = 'hint'; p.className = 'hint'; log.append(p); }
    return p;
  }

  function startOver() {
    if (current) current.abort();
    history = [];
    log.replaceChildren();
    hint().textContent = pick.value ? 'New chat: ask a question about ' + pick.value + '.' : 'New chat.';
    input.focus();
  }
  $('#newchat').addEventListener('click', startOver);

  function bubble(cls, text) {
    const div = document.createElement('div');
    div.className = 'msg ' + cls;
    if (text) div.textContent = text;
    log.append(div);
    div.scrollIntoView({ block: 'end' });
    return div;
  }

  function typingIndicator() {
    const span = document.createElement('span');
    span.className = 'typing';
    span.setAttribute('role', 'status');
    const label = document.createElement('span');
    label.className = 'sr';
    label.textContent = 'The answer is being written…';
    span.append(label, document.createElement('i'), document.createElement('i'), document.createElement('i'));
    return span;
  }

  // A web page is linked; any other source (a file) opens its quoted passages in the list below.
  const isWeb = (url) => /^https?:/.test(url);
  let answers = 0;

  function citation(div, s) {
    const a = document.createElement('a');
    a.className = 'cite';
    a.textContent = '[' + s.number + ']';
    a.title = s.title;
    if (isWeb(s.url)) { a.href = s.url; a.target = '_blank'; a.rel = 'noopener noreferrer'; }
    else {
      a.href = '#' + div.id + '-' + s.number;
      a.addEventListener('click', () => { const d = document.getElementById(div.id + '-' + s.number)?.querySelector('details'); if (d) d.open = true; });
    }
    return a;
  }

  // [n] in the text (not in code or links) becomes a link to source n.
  function linkCitations(div, root, sources) {
    const byNumber = new Map(sources.map((s) => [s.number, s]));
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const texts = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) if (!n.parentElement?.closest('code, pre, a')) texts.push(n);
    for (const node of texts) {
      const text = node.nodeValue;
      const parts = [];
      let last = 0;
      for (const m of text.matchAll(/\[(\d+)\]/g)) {
        const s = byNumber.get(Number(m[1]));
        if (!s) continue;
        parts.push(document.createTextNode(text.slice(last, m.index)), citation(div, s));
        last = m.index + m[0].length;
      }
      if (parts.length) { parts.push(document.createTextNode(text.slice(last))); node.replaceWith(...parts); }
    }
  }

  function addCopyButtons(root) {
    for (const pre of root.querySelectorAll('pre')) {
      const wrap = document.createElement('div');
      wrap.className = 'code';
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'copy';
      button.textContent = 'Copy';
      button.setAttribute('aria-label', 'Copy code');
      button.addEventListener('click', async () => {
        try { await navigator.clipboard.writeText(pre.textContent); button.textContent = 'Copied'; }
        catch { button.textContent = 'Copy failed'; }
        setTimeout(() => { button.textContent = 'Copy'; }, 1500);
      });
      pre.replaceWith(wrap);
      wrap.append(button, pre);
    }
  }

  function renderAnswer(div, body, text, sources) {
    const fragment = markdown(text);
    for (const a of fragment.querySelectorAll('a')) { a.target = '_blank'; a.rel = 'noopener noreferrer'; }
    linkCitations(div, fragment, sources);
    addCopyButtons(fragment);
    body.replaceChildren(fragment);
  }

  function renderSources(div, sources) {
    div.querySelector('.sources')?.remove();
    if (!sources.length) return;
    const anyCited = sources.some((s) => s.cited);
    const ol = document.createElement('ol');
    ol.className = 'sources';
    ol.setAttribute('aria-label', 'Sources');
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
        quote.textContent = (s.passages || []).join('\n\n');
        details.append(summary, quote);
        li.append(details);
      }
      ol.append(li);
    }
    div.append(ol);
  }

  function running(on) {
    send.hidden = on;
    stopButton.hidden = !on;
    if (!on && document.activeElement === stopButton) input.focus();
  }

  async function readEvents(r, onEvent) {
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(raw)?.[1] || 'message';
        onEvent(event, JSON.parse(raw.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')));
      }
    }
  }

  async function ask(question) {
    bubble('user', question);
    const div = bubble('bot');
    div.id = 'a' + ++answers;
    const body = document.createElement('div');
    body.className = 'answer';
    body.append(typingIndicator());
    div.append(body);
    div.setAttribute('aria-busy', 'true');
    const controller = new AbortController();
    current = controller;
    running(true);
    let text = '', sources = [];
    try {
      const r = await fetch('/api/ask', {
        method: 'POST',
        signal: controller.signal,
        headers: headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
        body: JSON.stringify({ question, collection: pick.value || undefined, history }),
      });
      if (r.status === 401) needKey();
      if (!r.ok) throw new Error((await r.json().catch(() => null))?.error?.message || 'HTTP ' + r.status);
      await readEvents(r, (event, data) => {
        if (event === 'sources') { sources = data.sources; renderSources(div, sources); }
        else if (event === 'token') { text += data.text; renderAnswer(div, body, text, sources); }
        else if (event === 'done') { text = data.answer; sources = data.sources; renderAnswer(div, body, text, sources); renderSources(div, sources); }
        else if (event === 'error') throw new Error(data.error.message);
        div.scrollIntoView({ block: 'end' });
      });
      history.push({ role: 'user', content: question }, { role: 'assistant', content: text });
      history = history.slice(-12);
      announce.textContent = 'Answer complete.';
    } catch (err) {
      if (controller.signal.aborted) {
        div.classList.add('stopped');
        if (!text) body.replaceChildren();
        const note = document.createElement('p');
        note.className = 'note';
        note.textContent = 'Stopped.';
        body.append(note);
        announce.textContent = 'Answer stopped.';
      } else {
        div.classList.add('error');
        body.textContent = (text ? text + '\n\n' : '') + 'Error: ' + err.message;
        announce.textContent = 'Error: ' + err.message;
      }
    } finally {
      div.removeAttribute('aria-busy');
      div.dataset.done = 'true';
      if (current === controller) { current = null; running(false); }
    }
  }

  stopButton.addEventListener('click', () => current?.abort());
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && current) { e.preventDefault(); current.abort(); } });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q || current) return;
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
