/**
 * The stand-in's Files and Batch API (`/v1/files`, `/v1/batches`), enough for the official SDK and
 * for ragline's `--batch-api` mode: multipart uploads of JSONL request files with the Batch API's
 * limits (50,000 requests, 200 MB, 50,000 embedding inputs), batches that go validating →
 * in_progress → completed as they are polled, output and error files in the API's line format.
 * Embedding lines are answered by the stand-in's own embeddings endpoint logic.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { ApiErrorResponse } from './api-errors.js';
import type { RecordedRequest } from './openai-stand-in.js';

/** The Batch API's limits on one batch. */
export const BATCH_LIMITS = { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024, maxEmbeddingInputs: 50_000 } as const;

/** Options of {@link createBatchRoutes}. */
export interface BatchRoutesOptions {
  /** Answer one embeddings request body (throws `ApiErrorResponse` for the API's errors). */
  embeddings: (body: Record<string, unknown>) => unknown;
  /**
   * Status reads of a batch before it completes: the first read finds it `in_progress`, the
   * `pollsToComplete`-th finds it `completed`.
   * @default 2
   */
  pollsToComplete?: number;
}

interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  content: string;
  createdAt: number;
}

interface Batch {
  id: string;
  endpoint: string;
  inputFileId: string;
  status: 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'cancelled';
  polls: number;
  createdAt: number;
  inProgressAt: number | null;
  completedAt: number | null;
  outputFileId: string | null;
  errorFileId: string | null;
  errors: { object: 'list'; data: Array<{ code: string; message: string; line: number | null; param: string | null }> } | null;
  counts: { total: number; completed: number; failed: number };
}

const now = () => Math.floor(Date.now() / 1000);
const newId = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

/** The parts of a multipart/form-data body, by field name (text only: JSONL is text). */
function parseMultipart(raw: string, contentType: string | undefined): Map<string, { filename?: string; value: string }> {
  const parts = new Map<string, { filename?: string; value: string }>();
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) return parts;
  for (const section of raw.split(`--${marker}`)) {
    const split = section.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = section.slice(0, split);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined) continue;
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    const value = section.slice(split + 4).replace(/\r\n$/, '');
    parts.set(name, filename === undefined ? { value } : { filename, value });
  }
  return parts;
}

/** The `/v1/files` and `/v1/batches` routes of one stand-in. */
export function createBatchRoutes(options: BatchRoutesOptions) {
  const pollsToComplete = options.pollsToComplete ?? 2;
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, Batch>();

  const fileObject = (f: StoredFile) => ({
    id: f.id,
    object: 'file',
    bytes: Buffer.byteLength(f.content),
    created_at: f.createdAt,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    status_details: null,
  });
  const batchObject = (b: Batch) => ({
    id: b.id,
    object: 'batch',
    endpoint: b.endpoint,
    errors: b.errors,
    input_file_id: b.inputFileId,
    completion_window: '24h',
    status: b.status,
    output_file_id: b.outputFileId,
    error_file_id: b.errorFileId,
    created_at: b.createdAt,
    in_progress_at: b.inProgressAt,
    expires_at: b.createdAt + 86_400,
    finalizing_at: b.completedAt,
    completed_at: b.completedAt,
    failed_at: b.status === 'failed' ? b.createdAt : null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: b.status === 'cancelled' ? now() : null,
    request_counts: b.counts,
    metadata: null,
  });
  const store = (filename: string, purpose: string, content: string): StoredFile => {
    const f = { id: newId('file-'), filename, purpose, content, createdAt: now() };
    files.set(f.id, f);
    return f;
  };

  /** Run every line of a batch's input file and write the output and error files. */
  function run(b: Batch): void {
    const input = files.get(b.inputFileId)!;
    const out: string[] = [];
    const errors: string[] = [];
    for (const raw of input.content.split('\n')) {
      if (raw.trim() === '') continue;
      const line = JSON.parse(raw) as { custom_id: string; body: Record<string, unknown> };
      const requestId = newId('req_');
      try {
        const body = options.embeddings(line.body);
        out.push(JSON.stringify({ id: newId('batch_req_'), custom_id: line.custom_id, response: { status_code: 200, request_id: requestId, body }, error: null }));
        b.counts.completed++;
      } catch (err) {
        if (!(err instanceof ApiErrorResponse)) throw err;
        errors.push(JSON.stringify({ id: newId('batch_req_'), custom_id: line.custom_id, response: { status_code: err.status, request_id: requestId, body: err.body() }, error: null }));
        b.counts.failed++;
      }
    }
    if (out.length) b.outputFileId = store(`${b.id}_output.jsonl`, 'batch_output', `${out.join('\n')}\n`).id;
    if (errors.length) b.errorFileId = store(`${b.id}_error.jsonl`, 'batch_output', `${errors.join('\n')}\n`).id;
    b.status = 'completed';
    b.completedAt = now();
  }

  /** Validate an input file the way the Batch API does; the first problem fails the batch. */
  function validate(b: Batch, f: StoredFile): void {
    const lines = f.content.split('\n').filter((l) => l.trim() !== '');
    const fail = (code: string, message: string, line: number | null = null) => {
      b.status = 'failed';
      b.errors = { object: 'list', data: [{ code, message, line, param: null }] };
    };
    if (lines.length > BATCH_LIMITS.maxRequests) return fail('too_many_requests', `The batch input file has ${lines.length} requests, over the limit of ${BATCH_LIMITS.maxRequests}.`);
    const ids = new Set<string>();
    let inputs = 0;
    for (const [i, raw] of lines.entries()) {
      let line: { custom_id?: unknown; method?: unknown; url?: unknown; body?: { input?: unknown } };
      try {
        line = JSON.parse(raw);
      } catch {
        return fail('invalid_json_line', 'This line is not parseable as valid JSON.', i + 1);
      }
      if (typeof line.custom_id !== 'string' || ids.has(line.custom_id)) return fail('duplicate_custom_id', 'The custom_id for this request is a duplicate of another request.', i + 1);
      ids.add(line.custom_id);
      if (line.url !== b.endpoint || line.method !== 'POST') return fail('invalid_url', `The url of this request does not match the batch's endpoint ${b.endpoint}.`, i + 1);
      inputs += Array.isArray(line.body?.input) ? line.body.input.length : 1;
    }
    if (b.endpoint === '/v1/embeddings' && inputs > BATCH_LIMITS.maxEmbeddingInputs) {
      return fail('too_many_inputs', `The batch has ${inputs} embedding inputs, over the limit of ${BATCH_LIMITS.maxEmbeddingInputs}.`);
    }
    b.counts.total = lines.length;
  }

  const send = (res: ServerResponse, entry: RecordedRequest, status: number, body: unknown, contentType = 'application/json') => {
    const headers = { 'content-type': contentType, 'x-request-id': newId('req_') };
    entry.status = status;
    entry.responseHeaders = headers;
    res.writeHead(status, headers);
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const error = (res: ServerResponse, entry: RecordedRequest, e: ApiErrorResponse) => send(res, entry, e.status, e.body());

  return {
    /**
     * Answer a Files or Batch API request; `false` when the path is not one of theirs (the
     * stand-in's other routes then handle it).
     */
    async handle(req: IncomingMessage, res: ServerResponse, raw: string | undefined, entry: RecordedRequest): Promise<boolean> {
      const method = req.method ?? 'GET';
      const path = entry.path;
      if (!path.startsWith('/v1/files') && !path.startsWith('/v1/batches')) return false;
      const headers: IncomingHttpHeaders = req.headers;
      if (!/^Bearer\s+\S/i.test(headers.authorization ?? '')) {
        error(res, entry, new ApiErrorResponse(401, "You didn't provide an API key.", 'invalid_request_error'));
        return true;
      }
      if (raw === undefined) {
        error(res, entry, new ApiErrorResponse(413, 'Request body too large.', 'invalid_request_error'));
        return true;
      }
      const notFound = (what: string, id: string) => error(res, entry, new ApiErrorResponse(404, `No such ${what}: '${id}'`, 'invalid_request_error', 'id'));

      if (method === 'POST' && path === '/v1/files') {
        const parts = parseMultipart(raw, headers['content-type']);
        entry.body = { purpose: parts.get('purpose')?.value, filename: parts.get('file')?.filename };
        const file = parts.get('file');
        const purpose = parts.get('purpose')?.value;
        if (!file || !purpose) {
          error(res, entry, new ApiErrorResponse(400, `Missing required parameter: '${file ? 'purpose' : 'file'}'.`, 'invalid_request_error', file ? 'purpose' : 'file'));
          return true;
        }
        if (Buffer.byteLength(file.value) > BATCH_LIMITS.maxBytes) {
          error(res, entry, new ApiErrorResponse(400, `File is too large: the limit for purpose 'batch' is 200 MB.`, 'invalid_request_error', 'file'));
          return true;
        }
        send(res, entry, 200, fileObject(store(file.filename ?? 'upload', purpose, file.value)));
        return true;
      }
      const fileMatch = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path);
      if (method === 'GET' && fileMatch) {
        const f = files.get(fileMatch[1]!);
        if (!f) notFound('file', fileMatch[1]!);
        else if (fileMatch[2]) send(res, entry, 200, f.content, 'application/octet-stream');
        else send(res, entry, 200, fileObject(f));
        return true;
      }
      if (method === 'POST' && path === '/v1/batches') {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          error(res, entry, new ApiErrorResponse(400, 'We could not parse the JSON body of your request.', 'invalid_request_error'));
          return true;
        }
        entry.body = body;
        const input = files.get(String(body.input_file_id));
        if (!input) {
          notFound('file', String(body.input_file_id));
          return true;
        }
        if (body.endpoint !== '/v1/embeddings' && body.endpoint !== '/v1/chat/completions') {
          error(res, entry, new ApiErrorResponse(400, `Invalid value for 'endpoint': '${String(body.endpoint)}'.`, 'invalid_request_error', 'endpoint'));
          return true;
        }
        const b: Batch = {
          id: newId('batch_'),
          endpoint: String(body.endpoint),
          inputFileId: input.id,
          status: 'validating',
          polls: 0,
          createdAt: now(),
          inProgressAt: null,
          completedAt: null,
          outputFileId: null,
          errorFileId: null,
          errors: null,
          counts: { total: 0, completed: 0, failed: 0 },
        };
        batches.set(b.id, b);
        send(res, entry, 200, batchObject(b));
        return true;
      }
      const batchMatch = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
      if (batchMatch) {
        const b = batches.get(batchMatch[1]!);
        if (!b) {
          notFound('batch', batchMatch[1]!);
          return true;
        }
        if (method === 'POST' && batchMatch[2]) {
          if (b.status === 'validating' || b.status === 'in_progress') b.status = 'cancelled';
          send(res, entry, 200, batchObject(b));
          return true;
        }
        if (method === 'GET' && !batchMatch[2]) {
          b.polls++;
          if (b.status === 'validating') {
            validate(b, files.get(b.inputFileId)!);
            if (b.status === 'validating') {
              b.status = 'in_progress';
              b.inProgressAt = now();
            }
          }
          if (b.status === 'in_progress' && b.polls >= pollsToComplete) run(b);
          send(res, entry, 200, batchObject(b));
          return true;
        }
      }
      error(res, entry, new ApiErrorResponse(404, `Invalid URL (${method} ${path})`, 'invalid_request_error'));
      return true;
    },
  };
}
