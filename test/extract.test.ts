import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extract, extractDocument, type ExtractOptions } from '../src/stages/extract.js';
import { ConfigError, InputError } from '../src/errors.js';
import type { Block, ExtractedDocument, SourceDocument } from '../src/types.js';
import { corpusPath } from './support/corpora.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/extract/', import.meta.url));

function source(body: string, contentType = 'text/html', url = 'https://docs.example.org/guide/page/'): SourceDocument {
  return { url, contentType, body, fetchedAt: new Date(0) };
}

function html(body: string, options?: ExtractOptions, url?: string): ExtractedDocument {
  return extractDocument(source(body, 'text/html', url), options);
}

function markdown(body: string, url = 'file:///docs/getting-started.md'): ExtractedDocument {
  return extractDocument(source(body, 'text/markdown', url));
}

function fixture(name: string, url: string, options?: ExtractOptions): ExtractedDocument {
  return extractDocument(source(readFileSync(path.join(FIXTURES, name), 'utf8'), 'text/html', url), options);
}

const texts = (doc: ExtractedDocument): string[] => doc.blocks.map((b) => b.text);
const allText = (doc: ExtractedDocument): string => texts(doc).join('\n');
const blockWith = (doc: ExtractedDocument, needle: string): Block | undefined =>
  doc.blocks.find((b) => b.text.includes(needle));
const slim = (doc: ExtractedDocument): [string, string][] => doc.blocks.map((b) => [b.kind, b.text]);

/** Wrap body content in a page with the usual chrome around a `<main>`. */
function page(main: string, title = 'Guide'): string {
  return `<!doctype html><html><head><title>${title}</title></head><body>
    <header><a href="/">Site name</a><nav><a href="/a">Menu A</a><a href="/b">Menu B</a></nav></header>
    <main>${main}</main>
    <footer>© Example footer</footer></body></html>`;
}

describe('extract: the DRF throttling page (MkDocs Material)', () => {
  const doc = fixture('drf-throttling.html', 'https://www.django-rest-framework.org/api-guide/throttling/');
  const raw = readFileSync(path.join(FIXTURES, 'drf-throttling.html'), 'utf8');

  test('keeps the article text', () => {
    expect(doc.title).toBe('Throttling - Django REST framework');
    expect(allText(doc)).toContain('Throttling is similar to permissions, in that it determines if a request should be authorized.');
    expect(blockWith(doc, 'randomly throttle 1 in every 10 requests')).toBeDefined();
  });

  test('drops the ~90 site-wide menu links, both sidebars, the search box and the footer', () => {
    // These strings are in the page, but only in its chrome.
    for (const chrome of ['Kickstarter Announcement', '3.16 Announcement', 'Content negotiation', 'Initializing search', 'Skip to content', 'Back to top', 'Made with']) {
      expect(raw).toContain(chrome);
      expect(allText(doc)).not.toContain(chrome);
    }
    // The table of contents sidebar repeats every heading; each must appear once, as a heading.
    expect(doc.blocks.filter((b) => b.text === 'How clients are identified').map((b) => b.kind)).toEqual(['heading']);
    expect(doc.blocks[0]).toEqual({ kind: 'heading', text: 'Throttling', level: 1, headingPath: ['Throttling'] });
  });

  test('heading paths follow the heading levels', () => {
    expect(blockWith(doc, 'The default throttling policy may be set globally')?.headingPath).toEqual([
      'Throttling',
      'Setting the throttling policy',
    ]);
    expect(blockWith(doc, 'will only ever throttle unauthenticated users')?.headingPath).toEqual([
      'Throttling',
      'API Reference',
      'AnonRateThrottle',
    ]);
    // A level-3 heading replaces the previous level-3 entry; a level-2 one replaces both.
    expect(blockWith(doc, 'will throttle users to a given rate')?.headingPath).toEqual(['Throttling', 'API Reference', 'UserRateThrottle']);
    expect(blockWith(doc, 'To create a custom throttle, override')?.headingPath).toEqual(['Throttling', 'Custom throttles']);
  });

  test('headings have no permalink pilcrow', () => {
    const headings = doc.blocks.filter((b) => b.kind === 'heading');
    expect(headings.length).toBe(12);
    for (const h of headings) expect(h.text).not.toMatch(/¶|Permanent link/);
  });

  test('code blocks keep their newlines and indentation exactly', () => {
    expect(doc.blocks.find((b) => b.kind === 'code')?.text).toBe(
      [
        'REST_FRAMEWORK = {',
        "    'DEFAULT_THROTTLE_CLASSES': [",
        "        'rest_framework.throttling.AnonRateThrottle',",
        "        'rest_framework.throttling.UserRateThrottle'",
        '    ],',
        "    'DEFAULT_THROTTLE_RATES': {",
        "        'anon': '100/day',",
        "        'user': '1000/day'",
        '    }',
        '}',
      ].join('\n'),
    );
    expect(blockWith(doc, 'class ExampleView(APIView):')?.text).toContain(
      'class ExampleView(APIView):\n    throttle_classes = [UserRateThrottle]\n\n    def get(self, request, format=None):\n',
    );
  });

  test('inline code stays inside its paragraph', () => {
    expect(blockWith(doc, 'The default throttling policy')).toEqual({
      kind: 'paragraph',
      text: 'The default throttling policy may be set globally, using the DEFAULT_THROTTLE_CLASSES and DEFAULT_THROTTLE_RATES settings. For example.',
      headingPath: ['Throttling', 'Setting the throttling policy'],
    });
  });

  test('a blockquote becomes a quote block and a list a block of "- " lines', () => {
    expect(doc.blocks[1]).toMatchObject({ kind: 'quote', text: 'HTTP/1.1 420 Enhance Your Calm\nTwitter API rate limiting response' });
    expect(blockWith(doc, "DEFAULT_THROTTLE_RATES['anon']")).toMatchObject({
      kind: 'list',
      text:
        '- The rate property on the class, which may be provided by overriding AnonRateThrottle and setting the property.\n' +
        "- The DEFAULT_THROTTLE_RATES['anon'] setting.",
    });
  });

  test('contentHash changes with the content but not with the navigation around it', () => {
    expect(doc.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const navChanged = raw
      .replaceAll('Kickstarter Announcement', 'Kickstarter Retrospective')
      .replace(/<body[^>]*>/, (tag) => `${tag}<div class="md-banner">Our conference is next week!</div><p hidden>Hidden</p>`)
      .replace('<footer class="md-footer">', '<footer class="md-footer"><p>New footer text</p>');
    expect(html(navChanged, undefined, doc.url).contentHash).toBe(doc.contentHash);
    const contentChanged = raw.replace('Throttles indicate a temporary state', 'Throttles indicate a passing state');
    expect(html(contentChanged, undefined, doc.url).contentHash).not.toBe(doc.contentHash);
  });

  test('the htmlparser2 parser gives the same blocks on a generated page', () => {
    const fast = fixture('drf-throttling.html', doc.url, { htmlParser: 'htmlparser2' });
    expect(fast.blocks).toEqual(doc.blocks);
    expect(fast.title).toBe(doc.title);
  });
});

describe('extract: the DRF routers page', () => {
  const doc = fixture('drf-routers.html', 'https://www.django-rest-framework.org/api-guide/routers/');

  test('a table with rowspan repeats the merged cell on each row it covers', () => {
    const table = doc.blocks.find((b) => b.kind === 'table');
    expect(table?.headingPath).toEqual(['Routers', 'API Guide', 'SimpleRouter']);
    expect(table?.text.split('\n').slice(0, 4)).toEqual([
      'URL Style | HTTP Method | Action | URL Name',
      '{prefix}/ | GET | list | {basename}-list',
      '{prefix}/ | POST | create | {basename}-list',
      '{prefix}/{url_path}/ | GET, or as specified by `methods` argument | `@action(detail=False)` decorated method | {basename}-{url_name}',
    ]);
    expect(table?.text).toContain('{prefix}/{lookup}/ | DELETE | destroy | {basename}-detail');
  });
});

describe('extract: the lmfit fitting page (Sphinx)', () => {
  const doc = fixture('lmfit-fitting.html', 'https://lmfit.github.io/lmfit-py/fitting.html');

  test('keeps the body and drops the related bar, sidebar, search and footer', () => {
    expect(doc.title).toBe('Performing Fits and Analyzing Outputs — Non-Linear Least-Squares Minimization and Curve-Fitting for Python');
    expect(doc.blocks[0]).toMatchObject({ kind: 'heading', level: 1, text: 'Performing Fits and Analyzing Outputs' });
    for (const chrome of ['Quick search', 'Previous topic', 'Created using', 'Table of Contents', 'Navigation']) {
      expect(allText(doc)).not.toContain(chrome);
    }
  });

  test('headings have no pilcrow', () => {
    const headings = doc.blocks.filter((b) => b.kind === 'heading').map((b) => b.text);
    expect(headings).toContain('MinimizerResult – the optimization result');
    for (const h of headings) expect(h).not.toContain('¶');
    expect(allText(doc)).not.toContain('¶');
  });

  test('table cells are separated, and cells whose text wraps are joined with spaces', () => {
    const table = doc.blocks.find((b) => b.kind === 'table' && b.text.startsWith('Fitting Method'));
    const rows = table?.text.split('\n') ?? [];
    expect(rows[0]).toBe('Fitting Method | method arg to minimize() or Minimizer.minimize()');
    expect(rows).toContain('Levenberg-Marquardt | leastsq or least_squares');
    expect(rows).toContain('Adaptive Memory Programming for Global Optimization | ampgo');
    expect(rows).toHaveLength(23);
  });

  test('LaTeX is kept as text, display math with its line breaks', () => {
    expect(texts(doc)).toContain(
      ['\\begin{eqnarray*}', '\\chi^2 &=& \\sum_i^N r_i^2 \\\\', '\\chi^2_\\nu &=& \\chi^2 / (N-N_{\\rm varys})', '\\end{eqnarray*}'].join('\n'),
    );
    expect(blockWith(doc, 'nvarys | ')?.text).toContain('nvarys | number of variables in fit \\(N_{\\rm varys}\\)');
    expect(blockWith(doc, 'where \\(r\\) is the residual array')?.kind).toBe('paragraph');
  });

  test('API descriptions: signature, description, then "Parameters:" and its list', () => {
    const i = doc.blocks.findIndex((b) => b.text.startsWith('minimize(fcn, params,'));
    expect(doc.blocks[i]?.kind).toBe('paragraph');
    expect(doc.blocks[i + 1]?.text).toBe('Perform the minimization of the objective function.');
    const parameters = doc.blocks.findIndex((b, k) => k > i && b.text === 'Parameters:');
    expect(doc.blocks[parameters + 1]?.kind).toBe('list');
    expect(doc.blocks[parameters + 1]?.text).toMatch(/^- fcn \(callable\) – Objective function to be minimized\./);
  });
});

describe('extract: choosing the main content', () => {
  test('prefers <main> and drops the page header, nav and footer', () => {
    const doc = html(page('<h1>Install</h1><p>Run the installer.</p>'));
    expect(slim(doc)).toEqual([
      ['heading', 'Install'],
      ['paragraph', 'Run the installer.'],
    ]);
  });

  test('of several articles, the one with the most text wins', () => {
    const doc = html(`<body><article><h2>Teaser</h2><p>Short.</p></article>
      <article><h1>Real story</h1><p>${'Long text of the actual story. '.repeat(20)}</p></article></body>`);
    expect(doc.blocks[0]?.text).toBe('Real story');
    expect(allText(doc)).not.toContain('Teaser');
  });

  test('an article inside main replaces it, keeping an h1 that sits above the article', () => {
    const doc = html(`<body><main><h1>Page title</h1><div class="sidebar-ad">Buy now</div>
      <article><p>${'Body text. '.repeat(30)}</p><h2>Part</h2><p>More.</p></article>
      <div class="share">Share this page</div></main></body>`);
    expect(doc.blocks[0]).toEqual({ kind: 'heading', text: 'Page title', level: 1, headingPath: ['Page title'] });
    expect(blockWith(doc, 'More.')?.headingPath).toEqual(['Page title', 'Part']);
    expect(allText(doc)).not.toMatch(/Buy now|Share this page/);
  });

  test('recognises Sphinx and other documentation containers', () => {
    const doc = html(`<body><div class="related" role="navigation"><h3>Navigation</h3><a>next</a></div>
      <div class="sphinxsidebar"><h3>Table of Contents</h3><ul><li>Intro</li></ul></div>
      <div class="document"><div class="body" role="main"><section><h1>Intro</h1><p>Welcome.</p></section></div></div>
      <div class="footer">© 2025</div></body>`);
    expect(slim(doc)).toEqual([
      ['heading', 'Intro'],
      ['paragraph', 'Welcome.'],
    ]);
  });

  test('without any container, the body minus its chrome is used', () => {
    const doc = html(`<body><nav><a>Home</a></nav><div id="sidebar"><a>Links</a></div>
      <h1>Plain page</h1><p>Just <b>text</b>.</p><footer>Footer</footer></body>`);
    expect(slim(doc)).toEqual([
      ['heading', 'Plain page'],
      ['paragraph', 'Just text.'],
    ]);
  });

  test('a <header> inside an article keeps its h1; the page-level header is dropped', () => {
    const doc = html(`<body><header><h1>Site name</h1></header>
      <article><header><h1>Post title</h1><p class="byline">By Ann</p></header><p>Post body.</p></article></body>`);
    expect(texts(doc)).toEqual(['Post title', 'By Ann', 'Post body.']);
  });

  test('contentSelector overrides the detection and removeSelectors drops extra elements', () => {
    const body = page('<div class="intro">Intro</div><div class="doc"><p>Chosen.</p><div class="ad">Ad</div></div>');
    expect(texts(html(body, { contentSelector: '.doc', removeSelectors: ['.ad'] }))).toEqual(['Chosen.']);
    expect(texts(html(body, { contentSelector: '.no-such-thing' }))).toEqual(['Intro', 'Chosen.', 'Ad']);
  });
});

describe('extract: HTML rules', () => {
  test('drops navigation, asides, scripts, forms, buttons, hidden elements and chrome classes inside the content', () => {
    const doc = html(
      page(`<h1>Title</h1>
        <nav class="toc"><a href="#a">On this page</a></nav>
        <div role="navigation">Prev | Next</div><aside>Related posts</aside>
        <script>var x = "script text";</script><style>.a { color: red }</style><noscript>Enable JS</noscript>
        <template><p>Template text</p></template><svg><text>SVG text</text></svg>
        <form><input value="Search"><button>Go</button></form><iframe src="x"></iframe>
        <p hidden>Hidden text</p><span aria-hidden="true">Icon text</span>
        <div class="breadcrumbs">Home › Docs</div><ul class="toc"><li>Toc entry</li></ul>
        <a class="md-content__button" href="edit">Edit this page</a><div role="search">Search docs</div>
        <div class="left-sidebar"><p>Sidebar text</p></div>
        <p>Kept <button>Copy</button>paragraph.</p>`),
    );
    expect(texts(doc)).toEqual(['Title', 'Kept paragraph.']);
  });

  test('a wrapper with a sidebar-like class but real headings is kept', () => {
    const doc = html(page('<div class="with-sidebar"><h2>Section</h2><p>Body.</p></div>'));
    expect(texts(doc)).toEqual(['Section', 'Body.']);
  });

  test('permalink anchors and trailing pilcrows are removed from headings', () => {
    const doc = html(
      page(`<h1 id="i">Install<a class="headerlink" href="#i" title="Permanent link">¶</a></h1>
        <h2 id="u">Usage <a href="#u" class="hash-link">#</a></h2><h2>Config ¶</h2>
        <h2 id="c"><a class="anchor" href="#c" aria-label="Permalink"><svg></svg></a>C#</h2>
        <h3><a href="#x">#</a>Options</h3>`),
    );
    expect(texts(doc)).toEqual(['Install', 'Usage', 'Config', 'C#', 'Options']);
  });

  test('a level-2 heading replaces previous level 2 and deeper entries of the heading path', () => {
    const doc = html(page('<h1>A</h1><h2>B</h2><h3>C</h3><h4>D</h4><p>in D</p><h2>E</h2><p>in E</p><h4>F</h4><p>in F</p>'));
    expect(blockWith(doc, 'in D')?.headingPath).toEqual(['A', 'B', 'C', 'D']);
    expect(blockWith(doc, 'in E')?.headingPath).toEqual(['A', 'E']);
    expect(blockWith(doc, 'in F')?.headingPath).toEqual(['A', 'E', 'F']);
    expect(doc.blocks.find((b) => b.text === 'E')).toEqual({ kind: 'heading', text: 'E', level: 2, headingPath: ['A', 'E'] });
  });

  test('nested lists are one list block with indented items', () => {
    const doc = html(page(`<ul><li>One</li><li><p>Two</p><ol><li>Two.a</li><li>Two.b<ul><li>deep</li></ul></li></ol>tail of two</li><li>Three</li></ul>`));
    expect(slim(doc)).toEqual([['list', '- One\n- Two\n  - Two.a\n  - Two.b\n    - deep\n  tail of two\n- Three']]);
  });

  test('a code block inside a list item is a code block between two list blocks', () => {
    const doc = html(page('<ol><li>Install:<pre><code>pip install x\n</code></pre></li><li>Run it.</li></ol>'));
    expect(slim(doc)).toEqual([
      ['list', '- Install:'],
      ['code', 'pip install x'],
      ['list', '- Run it.'],
    ]);
  });

  test('pre keeps newlines and indentation; highlighting markup and line numbers do not matter', () => {
    const code = '<pre><span></span><code><span class="k">def</span> <span class="nf">f</span>():\n    <span class="k">if</span> x:\n\n\t\treturn  1\n</code></pre>';
    expect(slim(html(page(code)))).toEqual([['code', 'def f():\n    if x:\n\n\t\treturn  1']]);
    const numbered = `<table class="highlighttable"><tr><td class="linenos"><div class="linenodiv"><pre>1\n2</pre></div></td>
      <td class="code"><div class="highlight"><pre><span class="linenos">1</span>a = 1\n<span class="linenos">2</span>b = 2\n</pre></div></td></tr></table>`;
    expect(slim(html(page(numbered)))).toEqual([['code', 'a = 1\nb = 2']]);
  });

  test('code inside a paragraph stays inline', () => {
    expect(texts(html(page('<p>Call <code>run()</code> with <code>--fast</code>.</p>')))).toEqual(['Call run() with --fast.']);
  });

  test('tables: one line per row, colspan written once, rowspan repeated, header text kept', () => {
    const doc = html(
      page(`<table><caption>Sizes</caption><thead><tr><th colspan="2">Name</th><th>Notes</th></tr></thead>
        <tbody><tr><td>a</td><td rowspan="2">b</td><td>c</td></tr><tr><td>d</td><td>e</td></tr>
        <tr><td>  wrapped
          cell<br>text </td><td></td><td>z</td></tr></tbody></table>`),
    );
    expect(slim(doc)).toEqual([
      ['paragraph', 'Sizes'],
      ['table', 'Name | Notes\na | b | c\nd | b | e\nwrapped cell text |  | z'],
    ]);
  });

  test('absurd colspan and rowspan values neither crash nor hang', () => {
    const started = Date.now();
    const doc = html(page('<table><tr><td colspan="100000" rowspan="999999">x</td><td rowspan="0">y</td><td colspan="-3">z</td></tr><tr><td>w</td></tr></table>'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(doc.blocks[0]?.kind).toBe('table');
    expect(doc.blocks[0]?.text.split('\n')[0]).toBe('x | y | z');
  });

  test('description lists become "term: definition" lines; rich definitions are walked as content', () => {
    const doc = html(
      page(`<dl><dt>timeout</dt><dd>Seconds to wait.</dd><dt>Type<span>:</span></dt><dd><p>int</p></dd></dl>
        <dl class="py function"><dt>connect(host)</dt><dd><p>Open a connection.</p><pre>connect("db")</pre></dd></dl>`),
    );
    expect(slim(doc)).toEqual([
      ['paragraph', 'timeout: Seconds to wait.\nType: int'],
      ['paragraph', 'connect(host)'],
      ['paragraph', 'Open a connection.'],
      ['code', 'connect("db")'],
    ]);
  });

  test('a blockquote becomes a quote block', () => {
    expect(slim(html(page('<blockquote><p>To be,</p><p>or not.</p></blockquote>')))).toEqual([['quote', 'To be,\nor not.']]);
  });

  test('whitespace is collapsed, NBSPs become spaces, <br> breaks lines, curly quotes and non-ASCII stay', () => {
    const doc = html(page('<p>  “Grüße”\n\t aus&nbsp;&nbsp;Köln —  日本語 ✓<br>second   line<br><br></p><div>Loose <em>div</em> text<p>para</p>tail</div>'));
    expect(texts(doc)).toEqual(['“Grüße” aus Köln — 日本語 ✓\nsecond line', 'Loose div text', 'para', 'tail']);
  });

  test('images contribute their alt text only when it means something', () => {
    const doc = html(
      page(`<p><img src="a.png" alt="Architecture diagram of the ingest pipeline"></p><p>See <img src="i.svg" alt="icon"> <img src="b.png" alt="b.png"> <img src="c.png" alt=""> <img src="c.png">this.</p>
        <p><img alt="Logo of the project" src="light.png#only-light"> <img alt="Logo of the project" src="dark.png#only-dark"></p>`),
    );
    expect(texts(doc)).toEqual(['Architecture diagram of the ingest pipeline', 'See this.', 'Logo of the project']);
  });

  test('switchable tabs repeating the same snippet keep it once (MkDocs Material tabbed-set)', () => {
    const tab = (label: string) => `<div class="tabbed-block"><p>With ${label}:</p><div class="highlight"><pre><code>pip install ragline\n</code></pre></div></div>`;
    const doc = html(
      page(`<div class="tabbed-set tabbed-alternate" data-tabs="1:3"><input checked id="t1" type="radio"><input id="t2" type="radio"><input id="t3" type="radio">
        <div class="tabbed-labels"><label for="t1">Linux</label><label for="t2">macOS</label><label for="t3">Windows</label></div>
        <div class="tabbed-content">${tab('bash')}${tab('zsh')}${tab('PowerShell')}</div></div>
        <div class="highlight"><pre><code>ragline --version</code></pre></div><div class="highlight"><pre><code>ragline --version</code></pre></div>`),
    );
    expect(slim(doc)).toEqual([
      ['paragraph', 'With bash:'],
      ['code', 'pip install ragline'],
      ['paragraph', 'With zsh:'],
      ['paragraph', 'With PowerShell:'],
      ['code', 'ragline --version'],
    ]);
  });

  test('TeX survives from MathJax scripts and KaTeX annotations', () => {
    const doc = html(
      page(`<p>Energy <script type="math/tex">E = mc^2</script> and <span class="katex"><span class="katex-mathml"><math><semantics><mrow><mi>x</mi></mrow>
        <annotation encoding="application/x-tex">x^2</annotation></semantics></math></span><span class="katex-html" aria-hidden="true">x2</span></span>.</p>`),
    );
    expect(texts(doc)).toEqual(['Energy E = mc^2 and x^2 .']);
  });

  test('title: <title>, else the first h1, else the last URL segment', () => {
    expect(html('<title>\n  My   page\n</title><p>x</p>').title).toBe('My page');
    expect(html('<body><h1>Heading title<a class="headerlink" href="#h">¶</a></h1></body>').title).toBe('Heading title');
    expect(html('<p>no title</p>', undefined, 'https://docs.example.org/guide/first%20steps/').title).toBe('first steps');
    expect(html('<p>no title</p>', undefined, 'https://docs.example.org/').title).toBe('docs.example.org');
    // An SVG's <title> is a tooltip.
    expect(html('<body><svg><title>Icon</title></svg><h1>Real</h1></body>').title).toBe('Real');
  });

  test('text arrives already decoded: a charset declared in the page is not applied again', () => {
    const doc = html('<html><head><meta charset="iso-8859-1"><title>Café</title></head><body><p>Grüße – “quoted” naïve façade</p></body></html>');
    expect(doc.title).toBe('Café');
    expect(texts(doc)).toEqual(['Grüße – “quoted” naïve façade']);
  });
});

describe('extract: malformed and empty pages', () => {
  test.each([
    ['unclosed tags', '<div><p>One<p>Two<ul><li>x<li>y<table><td>cell', ['One', 'Two', '- x\n- y', 'cell']],
    ['stray end tags', '</div></span><p>Text</b></p></td>', ['Text']],
    ['an unterminated comment', '<p>Before</p><!-- never closed <p>hidden', ['Before']],
    ['attributes without values and odd quoting', '<p class=a"b id=x disabled data-x=\'y\'z>Odd</p>', ['Odd']],
    ['a lone < and &', '<p>a < b && c > d &unknown; &amp;</p>', ['a < b && c > d &unknown; &']],
  ])('does not throw on %s', (_name, body, expected) => {
    expect(texts(html(body))).toEqual(expected);
  });

  test.each([
    ['an empty string', ''],
    ['whitespace', ' \n\t '],
    ['an empty body', '<html><head><title>Empty</title></head><body></body></html>'],
    ['only chrome and scripts', '<body><nav><a>Home</a></nav><script>alert(1)</script><footer>©</footer></body>'],
    ['binary garbage', String.fromCharCode(...Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256))],
    ['NUL bytes', '\u0000'.repeat(100)],
  ])('a page with %s yields no blocks', (_name, body) => {
    const doc = html(body);
    expect(doc.blocks).toEqual([]);
    expect(doc.title.length).toBeGreaterThan(0);
    expect(doc.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('deeply nested markup does not overflow the stack', () => {
    // 10,000 levels: deeper than a naive recursive walk survives. (parse5 itself slows down
    // quadratically with depth, so the test stays at this size.)
    const depth = 5_000;
    const nested = `<body>${'<div><span>'.repeat(depth)}deep text${'</span></div>'.repeat(depth)}</body>`;
    expect(texts(html(nested))).toEqual(['deep text']);
    expect(texts(html(nested, { htmlParser: 'htmlparser2' }))).toEqual(['deep text']);
    const lists = html(`<body>${'<ul><li>'.repeat(2000)}item</body>`);
    expect(allText(lists)).toContain('item');
  });
});

describe('extract: Markdown', () => {
  test('YAML front matter gives the title and is not content', () => {
    const doc = markdown('---\ntitle: "Getting started: a guide"\ntags: [a, b]\n---\n\nHello.\n');
    expect(doc.title).toBe('Getting started: a guide');
    expect(slim(doc)).toEqual([['paragraph', 'Hello.']]);
  });

  test('title falls back to the first h1, then to the file name', () => {
    expect(markdown('Intro\n\n# Main title\n').title).toBe('Main title');
    expect(markdown('## Only level two\n').title).toBe('getting-started.md');
  });

  test('ATX and setext headings build the heading path', () => {
    const doc = markdown('Guide\n=====\n\nIntro.\n\nSetup\n-----\n\n### Linux ###\n\nOn Linux.\n\n## Usage {#usage}\n\nUse it.\n');
    expect(doc.blocks.map((b) => [b.kind, b.text, b.headingPath.join(' > ')])).toEqual([
      ['heading', 'Guide', 'Guide'],
      ['paragraph', 'Intro.', 'Guide'],
      ['heading', 'Setup', 'Guide > Setup'],
      ['heading', 'Linux', 'Guide > Setup > Linux'],
      ['paragraph', 'On Linux.', 'Guide > Setup > Linux'],
      ['heading', 'Usage', 'Guide > Usage'],
      ['paragraph', 'Use it.', 'Guide > Usage'],
    ]);
  });

  test('fenced code is verbatim and its # lines are not headings', () => {
    const doc = markdown('# Title\n\n```python\n# a comment, not a heading\ndef f():\n    return 1\n```\n\n~~~\n## also code\n```\n~~~\n\nAfter.\n');
    expect(slim(doc)).toEqual([
      ['heading', 'Title'],
      ['code', '# a comment, not a heading\ndef f():\n    return 1'],
      ['code', '## also code\n```'],
      ['paragraph', 'After.'],
    ]);
    expect(doc.blocks.at(-1)?.headingPath).toEqual(['Title']);
  });

  test('lists, tables, quotes, indented code', () => {
    const doc = markdown(
      [
        '- one',
        '- two',
        '  continued',
        '  1. nested',
        '* three',
        '',
        '| Name | Value |',
        '|------|:-----:|',
        '| `a|b` | 1 \\| 2 |',
        '',
        '> quoted',
        'lazily continued',
        '>',
        '> second',
        '',
        '    indented code',
        '      keeps indent',
      ].join('\n'),
    );
    expect(slim(doc)).toEqual([
      ['list', '- one\n- two continued\n  - nested\n- three'],
      ['table', 'Name | Value\na|b | 1 | 2'],
      ['quote', 'quoted lazily continued\nsecond'],
      ['code', 'indented code\n  keeps indent'],
    ]);
  });

  test('inline markup is reduced to text; comments and link definitions are dropped', () => {
    const doc = markdown(
      '<!-- draft note -->\nSee [the guide](https://example.org/a_(b) "Guide") and ![a diagram](d.png), **bold**, *em*, _under_, ~~old~~, snake_case, `code *kept*`, \\*literal\\*, <https://example.org>, <kbd>Ctrl</kbd> &amp; [ref][1].  \nNext line.\n\n<!--\nmulti-line\ncomment\n-->\n[1]: https://example.org/ref\n',
    );
    expect(slim(doc)).toEqual([
      [
        'paragraph',
        'See the guide and a diagram, bold, em, under, old, snake_case, code *kept*, *literal*, https://example.org, Ctrl & ref.\nNext line.',
      ],
    ]);
  });

  test('MkDocs admonitions keep their text and identical tabs are kept once', () => {
    const doc = markdown('!!! note "Mind the gap"\n    Admonition *body*.\n\n=== "pip"\n\n    ```\n    pip install x\n    ```\n\n=== "pip3"\n\n    ```\n    pip install x\n    ```\n');
    expect(slim(doc)).toEqual([
      ['paragraph', 'Mind the gap'],
      ['paragraph', 'Admonition body.'],
      ['code', 'pip install x'],
    ]);
  });
});

describe('extract: plain text and dispatch', () => {
  test('text/plain splits paragraphs on blank lines and keeps line breaks within them', () => {
    const doc = extractDocument(source('First line\nsecond line\n\n\n  Indented second paragraph  \r\n\r\nThird', 'text/plain', 'file:///notes/todo.txt'));
    expect(doc.title).toBe('todo.txt');
    expect(slim(doc)).toEqual([
      ['paragraph', 'First line\nsecond line'],
      ['paragraph', '  Indented second paragraph'],
      ['paragraph', 'Third'],
    ]);
  });

  test('content types are read case-insensitively and with parameters', () => {
    expect(extractDocument(source('<p>Hi</p>', 'TEXT/HTML; charset=utf-8')).blocks[0]?.text).toBe('Hi');
    expect(extractDocument(source('# Hi', 'text/x-markdown')).blocks[0]?.kind).toBe('heading');
  });

  test('a non-text content type is an InputError naming the document', () => {
    expect(() => extractDocument(source('GIF89a', 'image/gif', 'https://x.test/a.gif'))).toThrow(InputError);
    expect(() => extractDocument(source('GIF89a', 'image/gif', 'https://x.test/a.gif'))).toThrow(/https:\/\/x\.test\/a\.gif.*image\/gif/);
  });

  test('binary data given as text yields no blocks whatever the type', () => {
    const garbage = String.fromCharCode(...Array.from({ length: 2000 }, (_, i) => (i * 31) % 32));
    expect(extractDocument(source(garbage, 'text/plain')).blocks).toEqual([]);
    expect(extractDocument(source(garbage, 'text/markdown')).blocks).toEqual([]);
  });

  test('extract() maps over an async stream in order, keeping url, type and fetch time', async () => {
    async function* pages(): AsyncGenerator<SourceDocument> {
      yield source('<title>A</title><p>a</p>', 'text/html', 'https://x.test/a');
      yield source('# B', 'text/markdown', 'https://x.test/b.md');
    }
    const out: ExtractedDocument[] = [];
    for await (const doc of extract(pages())) out.push(doc);
    expect(out.map((d) => [d.url, d.title, d.contentType, d.fetchedAt.getTime()])).toEqual([
      ['https://x.test/a', 'A', 'text/html', 0],
      ['https://x.test/b.md', 'B', 'text/markdown', 0],
    ]);
  });

  test('an invalid selector option is a ConfigError naming the option', () => {
    expect(() => html('<p>x</p>', { contentSelector: '[[[' })).toThrow(ConfigError);
    expect(() => html('<p>x</p>', { removeSelectors: ['.ok', 'div['] })).toThrow(/removeSelectors/);
  });
});

// Optional: every page of the two shared documentation corpora (see ../shared/corpora/README.md).
const CORPORA = corpusPath();
const hasCorpora = existsSync(path.join(CORPORA, 'drf-docs')) && existsSync(path.join(CORPORA, 'lmfit-docs'));
if (!hasCorpora) {
  console.log(`Skipping the extract corpus test: ${CORPORA} is absent (it is optional).`);
}

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.html'))
    .map((f) => path.join(dir, f))
    .sort();
}

(hasCorpora ? describe : describe.skip)('extract: the DRF and lmfit corpora (optional)', () => {
  // In the DRF sidebar of every page, never in an article body.
  const DRF_MENU_TEXT = 'Kickstarter Announcement';

  test('every page extracts, and no DRF page keeps the site menu', () => {
    const files = [...htmlFiles(path.join(CORPORA, 'drf-docs')), ...htmlFiles(path.join(CORPORA, 'lmfit-docs'))];
    expect(files.length).toBeGreaterThan(130);
    let ms = 0;
    for (const file of files) {
      const body = readFileSync(file, 'utf8');
      const started = performance.now();
      const doc = extractDocument(source(body, 'text/html', `file://${file}`));
      ms += performance.now() - started;
      expect(doc.title).not.toBe('');
      if (!file.endsWith('search.html')) expect(doc.blocks.length).toBeGreaterThan(0);
      for (const block of doc.blocks) expect(block.text).not.toContain('¶');
      if (file.includes('drf-docs')) {
        expect(body).toContain(DRF_MENU_TEXT);
        expect(doc.blocks.filter((b) => b.text.includes(DRF_MENU_TEXT))).toEqual([]);
      }
    }
    console.log(`extract: ${files.length} corpus pages, ${(ms / files.length).toFixed(1)} ms/page`);
  });
});
