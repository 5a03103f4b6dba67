/**
 * What the crawler reads from an HTML page: its links, its canonical URL and its robots
 * directives (`<meta name=robots>`, and the same words in an `X-Robots-Tag` header).
 */
import { Parser } from './html-parser.js';

/** What the crawler needs from an HTML page. */
export interface PageLinks {
  /** `<a href>`/`<area href>` resolved against `<base href>` and the page URL, fragments removed. */
  links: URL[];
  /** `<link rel=canonical href>`, resolved. */
  canonical?: URL;
  /** `<meta name=robots|ragline content=noindex>` (or `none`). */
  noindex: boolean;
  /** `<meta name=robots|ragline content=nofollow>` (or `none`). */
  nofollow: boolean;
}

/**
 * The robots directives in a `<meta name=robots>` content or an `X-Robots-Tag` header value
 * (case-insensitive; `none` means both).
 */
export function readRobotsDirectives(value: string): { noindex: boolean; nofollow: boolean } {
  const text = value.toLowerCase();
  return { noindex: /\b(noindex|none)\b/.test(text), nofollow: /\b(nofollow|none)\b/.test(text) };
}

/**
 * Links, canonical URL and robots directives of an HTML page. `<meta name="ragline">` directives
 * apply as well as `<meta name="robots">`, like `googlebot` for Google.
 */
export function readPageLinks(html: string, pageUrl: string | URL): PageLinks {
  const hrefs: string[] = [];
  let baseHref: string | undefined;
  let canonicalHref: string | undefined;
  let noindex = false;
  let nofollow = false;
  // htmlparser2's callback interface builds no DOM: several times faster than a cheerio load
  // for the only things needed here.
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'meta') {
          const metaName = attributes['name']?.toLowerCase();
          if (metaName === 'robots' || metaName === 'ragline') {
            const directives = readRobotsDirectives(attributes['content'] ?? '');
            noindex ||= directives.noindex;
            nofollow ||= directives.nofollow;
          }
          return;
        }
        const href = attributes['href'];
        if (href === undefined) return;
        if (name === 'a' || name === 'area') hrefs.push(href);
        // Only the first <base href> counts (HTML standard).
        else if (name === 'base' && baseHref === undefined) baseHref = href;
        else if (name === 'link' && canonicalHref === undefined && /(^|\s)canonical(\s|$)/i.test(attributes['rel'] ?? '')) {
          canonicalHref = href;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();

  const page = new URL(pageUrl);
  let base = page;
  if (baseHref !== undefined && URL.canParse(baseHref, base.href)) {
    const candidate = new URL(baseHref, base);
    if (candidate.protocol === 'http:' || candidate.protocol === 'https:') base = candidate;
  }
  const links: URL[] = [];
  for (const href of hrefs) {
    if (!URL.canParse(href, base.href)) continue;
    const link = new URL(href, base);
    // mailto:, javascript:, tel:, data:, ftp: ... are not pages to crawl.
    if (link.protocol !== 'http:' && link.protocol !== 'https:') continue;
    link.hash = '';
    links.push(link);
  }
  const result: PageLinks = { links, noindex, nofollow };
  if (canonicalHref !== undefined && URL.canParse(canonicalHref.trim(), base.href)) {
    const canonical = new URL(canonicalHref.trim(), base);
    canonical.hash = '';
    if (canonical.protocol === 'http:' || canonical.protocol === 'https:') result.canonical = canonical;
  }
  return result;
}

/** Links of an HTML page: `<a href>`/`<area href>` resolved against `<base href>` and the page URL. */
export function extractLinks(html: string, pageUrl: string | URL): URL[] {
  return readPageLinks(html, pageUrl).links;
}
