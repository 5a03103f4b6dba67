/** YAML (`---`) or TOML (`+++`) front matter: split off, and its `title` read. */
import { isBlank } from './syntax.js';

function unquoteYaml(value: string): string {
  const double = /^"((?:[^"\\]|\\.)*)"/.exec(value);
  if (double !== null) {
    try {
      return JSON.parse(`"${double[1] as string}"`) as string;
    } catch {
      return double[1] as string;
    }
  }
  const single = /^'((?:[^']|'')*)'/.exec(value);
  if (single !== null) return (single[1] as string).replace(/''/g, "'");
  return value.replace(/[ \t]+#.*$/, '');
}

/** `title:` of YAML front matter (or `title =` of TOML front matter). */
function frontMatterTitle(lines: string[]): string | undefined {
  for (let i = 0; i < lines.length; i++) {
    const m = /^title[ \t]*[:=][ \t]*(.*)$/.exec(lines[i] as string);
    if (m === null) continue;
    let value = (m[1] as string).trim();
    if (/^[|>][+-]?\d*$/.test(value)) {
      // A block scalar: the indented lines that follow.
      const parts: string[] = [];
      for (let j = i + 1; j < lines.length && (isBlank(lines[j] as string) || /^[ \t]/.test(lines[j] as string)); j++) {
        parts.push((lines[j] as string).trim());
      }
      value = parts.join(' ');
    } else {
      value = unquoteYaml(value);
    }
    const title = value.replace(/\s+/g, ' ').trim();
    return title || undefined;
  }
  return undefined;
}

/** Split off `---` YAML (or `+++` TOML) front matter. */
export function splitFrontMatter(lines: string[]): { title: string | undefined; body: string[] } {
  const first = (lines[0] ?? '').trimEnd();
  if (first !== '---' && first !== '+++') return { title: undefined, body: lines };
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trimEnd();
    if (line === first || (first === '---' && line === '...')) {
      return { title: frontMatterTitle(lines.slice(1, i)), body: lines.slice(i + 1) };
    }
  }
  return { title: undefined, body: lines }; // no closing marker: a thematic break, not front matter
}
