/**
 * The folder reader: the offline counterpart of `crawl`, yielding the documents of a folder tree
 * (or of one file) as `SourceDocument`s with `file://` URLs.
 */
import { promises as fs, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError, describeValue } from '../errors.js';
import type { Format } from '../formats/format.js';
import { formatForFile, supportedExtensions } from '../formats/registry.js';
import { checkInteger } from '../options/check.js';
import { READ_FILES_DEFAULTS } from '../options/defaults.js';
import { decodeText } from '../net/http-get.js';
import type { SourceDocument } from '../types.js';

/** Why a file was not yielded. */
export type ReadFilesSkipReason =
  /** Larger than `maxBytes`. */
  | 'too-large'
  /** No registered format claims the extension (see `supportedExtensions`). */
  | 'unsupported-type'
  /** Could not be listed or read (permissions, broken link, removed meanwhile). */
  | 'unreadable';

/** Progress of `readFiles`, reported through `onEvent`. */
export type ReadFilesEvent =
  | {
      type: 'file';
      /** `file://` URL of the document. */
      url: string;
      /** Absolute path. */
      path: string;
      contentType: string;
      bytes: number;
    }
  | {
      type: 'skip';
      url: string;
      path: string;
      reason: ReadFilesSkipReason;
      /** File size, when known. */
      bytes?: number;
      /** The file-system error, for `unreadable`. */
      error?: Error;
      /** One line for logs. */
      message: string;
    };

/** Options of `readFiles`. */
export interface ReadFilesOptions {
  /**
   * Files larger than this many bytes are skipped (with a `skip` event), not read.
   * @default 10485760 (10 MiB)
   */
  maxBytes?: number;
  /**
   * Files of a binary format (PDF, Word) larger than this many bytes are skipped (with a `skip`
   * event), not read.
   * @default 52428800 (50 MiB)
   */
  maxFileBytes?: number;
  /**
   * Called synchronously for every file yielded or skipped. Hidden entries (`.name`) and
   * `node_modules` folders are left out silently. An exception thrown here ends the walk.
   * @default undefined
   */
  onEvent?: (event: ReadFilesEvent) => void;
}

/** The extensions ragline reads, for messages: `.html, .htm, .md, .markdown and .txt`. */
function extensionList(conjunction: 'and' | 'or'): string {
  const dotted = supportedExtensions().map((ext) => `.${ext}`);
  return dotted.length < 2 ? dotted.join('') : `${dotted.slice(0, -1).join(', ')} ${conjunction} ${dotted.at(-1)}`;
}

/** Code-unit order: the same on every machine, unlike `localeCompare`. */
const byName = (a: Dirent, b: Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** What reading needs from the options, validated. */
interface Reader {
  maxBytes: number;
  maxFileBytes: number;
  emit: (event: ReadFilesEvent) => void;
}

/** Validate the options (when `readFiles` is called, not on the first iteration). */
function readerFor(options: ReadFilesOptions): Reader {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('options', options, `Options must be an object, got ${describeValue(options)}.`);
  }
  const maxBytes = checkInteger('maxBytes', options.maxBytes ?? READ_FILES_DEFAULTS.maxBytes, { min: 1 });
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new ConfigError('onEvent', options.onEvent, `onEvent must be a function, got ${describeValue(options.onEvent)}.`);
  }
  const maxFileBytes = checkInteger('maxFileBytes', options.maxFileBytes ?? READ_FILES_DEFAULTS.maxFileBytes, { min: 1 });
  return { maxBytes, maxFileBytes, emit: (event) => options.onEvent?.(event) };
}

/** The absolute path `folder` names. */
function resolveRoot(folder: string | URL): string {
  if (folder instanceof URL) {
    if (folder.protocol !== 'file:') {
      throw new ConfigError('folder', folder.href, `${folder.href} is not a file: URL; pass a folder or file path.`);
    }
    return fileURLToPath(folder);
  }
  if (typeof folder === 'string' && folder !== '') return path.resolve(folder);
  throw new ConfigError('folder', folder, `The folder must be a non-empty path, got ${describeValue(folder)}.`);
}

/** Read one file, or report why not. */
async function readFile(reader: Reader, file: string, format: Format): Promise<SourceDocument | undefined> {
  const { emit } = reader;
  const url = pathToFileURL(file).href;
  const contentType = format.mediaTypes[0] as string; // registerFormat requires one
  const [limit, name] = format.body === 'bytes' ? [reader.maxFileBytes, 'maxFileBytes'] : [reader.maxBytes, 'maxBytes'];
  try {
    const { size } = await fs.stat(file);
    if (size > limit) {
      emit({
        type: 'skip',
        url,
        path: file,
        reason: 'too-large',
        bytes: size,
        message: `Skipped ${file}: ${size} bytes exceeds ${name} (${limit}).`,
      });
      return undefined;
    }
    const bytes = await fs.readFile(file);
    emit({ type: 'file', url, path: file, contentType, bytes: bytes.length });
    const body = format.body === 'bytes' ? bytes : decodeText(bytes, contentType);
    return { url, contentType, body, fetchedAt: new Date(), status: 200, depth: 0 };
  } catch (error) {
    emitUnreadable(reader, file, error);
    return undefined;
  }
}

function emitUnreadable(reader: Reader, file: string, error: unknown): void {
  const cause = error instanceof Error ? error : new Error(String(error));
  reader.emit({
    type: 'skip',
    url: pathToFileURL(file).href,
    path: file,
    reason: 'unreadable',
    error: cause,
    message: `Skipped ${file}: ${cause.message}`,
  });
}

/** Paths of the regular files under `dir`, depth first, in sorted order. */
async function* walk(reader: Reader, dir: string): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    emitUnreadable(reader, dir, error);
    return;
  }
  for (const entry of entries.sort(byName)) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* walk(reader, full);
    } else if (entry.isFile()) {
      yield full;
    } else if (entry.isSymbolicLink()) {
      try {
        if ((await fs.stat(full)).isFile()) yield full;
      } catch (error) {
        emitUnreadable(reader, full, error);
      }
    }
  }
}

/** The documents of the supported files under `root`; the others are reported and skipped. */
async function* readFolder(reader: Reader, root: string): AsyncGenerator<SourceDocument, void, undefined> {
  for await (const file of walk(reader, root)) {
    const format = formatForFile(file);
    if (format === undefined) {
      reader.emit({
        type: 'skip',
        url: pathToFileURL(file).href,
        path: file,
        reason: 'unsupported-type',
        message: `Skipped ${file}: not ${extensionList('or')}.`,
      });
      continue;
    }
    const doc = await readFile(reader, file, format);
    if (doc !== undefined) yield doc;
  }
}

/** `root` itself, or a `ConfigError` naming `folder` (as the caller passed it) when it cannot be read. */
async function statRoot(root: string, folder: string | URL): Promise<Stats> {
  try {
    return await fs.stat(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`;
    throw new ConfigError('folder', folder, `${root} ${what}; pass an existing folder or file.`, { cause: error });
  }
}

/** The document of the single file `root`, which must be of a supported type. */
async function* readSingleFile(reader: Reader, root: string, folder: string | URL): AsyncGenerator<SourceDocument, void, undefined> {
  const format = formatForFile(root);
  if (format === undefined) {
    throw new ConfigError('folder', folder, `${root} is not a supported file type; ragline reads ${extensionList('and')} files.`);
  }
  const doc = await readFile(reader, root, format);
  if (doc !== undefined) yield doc;
}

async function* readRoot(reader: Reader, root: string, folder: string | URL): AsyncGenerator<SourceDocument, void, undefined> {
  const stat = await statRoot(root, folder);
  if (stat.isFile()) {
    yield* readSingleFile(reader, root, folder);
  } else if (stat.isDirectory()) {
    yield* readFolder(reader, root);
  } else {
    throw new ConfigError('folder', folder, `${root} is neither a folder nor a file; pass a folder or file path.`);
  }
}

/**
 * Read the documents under `folder` (recursively, in sorted order) or the single file `folder`
 * names: the files whose extension a registered format claims (see `registerFormat`), with that
 * format's first media type as `contentType` — out of the box `.html`/`.htm` as `text/html`,
 * `.md`/`.markdown` as `text/markdown`, `.txt` as `text/plain`. Text is decoded as UTF-8 (a BOM is
 * stripped); HTML files declaring another charset in a `<meta>` tag are decoded with it. Files of
 * a binary format (`body: 'bytes'`) are yielded as their bytes.
 *
 * Hidden files and folders and `node_modules` are left out. Symbolic links to files are read;
 * symbolic links to folders are not followed (they can form cycles or leave the tree).
 *
 * A path that does not exist, is neither file nor folder, or is a file of an unsupported type
 * fails with `ConfigError` on the first iteration; problems with files inside the folder are
 * reported through `onEvent` and skipped. Options are validated when `readFiles` is called.
 *
 * @param folder a folder or file path (relative paths are resolved against the working
 *   directory), or a `file:` URL
 * @example
 * for await (const doc of readFiles('./docs')) console.log(doc.url, doc.body.length);
 */
export function readFiles(
  folder: string | URL,
  options: ReadFilesOptions = {},
): AsyncGenerator<SourceDocument, void, undefined> {
  const reader = readerFor(options);
  return readRoot(reader, resolveRoot(folder), folder);
}
