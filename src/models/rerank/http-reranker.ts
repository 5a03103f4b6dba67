/**
 * A reranker over any Cohere/Jina/Voyage-style endpoint: `POST {baseUrl}/rerank` with
 * `{model, query, documents, top_n}`, answered `{results: [{index, relevance_score}]}` (Voyage's
 * `{data: [...]}` is read too).
 */
import { ModelError } from '../../errors.js';
import type { Reranker, RerankRequest, RerankResult } from '../spec.js';

/** Options of {@link createHttpReranker}. */
export interface HttpRerankerOptions {
  /** Base URL: `/rerank` is appended (`https://api.cohere.com/v2`, `https://api.jina.ai/v1`). */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>` when given. */
  apiKey?: string;
  /** Name shown in errors and reports. @default 'http' */
  provider?: string;
  /** Documents per call. @default 100 */
  maxDocumentsPerCall?: number;
  /** @default 30000 */
  timeoutMs?: number;
}

function parseResults(body: unknown, documents: number): RerankResult['results'] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const list = (body as { results?: unknown; data?: unknown }).results ?? (body as { data?: unknown }).data;
  if (!Array.isArray(list)) return undefined;
  const out: RerankResult['results'] = [];
  for (const item of list) {
    const { index, relevance_score: score } = (item ?? {}) as { index?: unknown; relevance_score?: unknown };
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= documents || typeof score !== 'number') return undefined;
    out.push({ index, relevanceScore: score });
  }
  return out.sort((a, b) => b.relevanceScore - a.relevanceScore);
}

/** A reranker calling `POST {baseUrl}/rerank`. Errors are `ModelError`s naming the status and endpoint. */
export function createHttpReranker(options: HttpRerankerOptions): Reranker {
  const provider = options.provider ?? 'http';
  const url = `${options.baseUrl.replace(/\/+$/, '')}/rerank`;
  const fail = (message: string, extra: { status?: number; isRetryable?: boolean; cause?: unknown } = {}) =>
    new ModelError(provider, options.model, `Reranker ${provider}/${options.model} at ${url}: ${message}`, extra);
  return {
    provider,
    modelId: options.model,
    maxDocumentsPerCall: options.maxDocumentsPerCall ?? 100,
    async rerank(request: RerankRequest): Promise<RerankResult> {
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(fail(`no reply within ${options.timeoutMs ?? 30_000} ms.`, { isRetryable: true })), options.timeoutMs ?? 30_000);
      const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
          body: JSON.stringify({ model: options.model, query: request.query, documents: request.documents, top_n: request.topN ?? request.documents.length }),
          signal,
        });
        text = await res.text();
      } catch (cause) {
        if (request.signal?.aborted) throw cause;
        if (timeout.signal.aborted) throw timeout.signal.reason;
        throw fail(`request failed (${cause instanceof Error ? cause.message : String(cause)}).`, { isRetryable: true, cause });
      } finally {
        clearTimeout(timer);
      }
      if (!res.ok) throw fail(`HTTP ${res.status}: ${text.slice(0, 200)}`, { status: res.status, isRetryable: res.status === 429 || res.status >= 500 });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (cause) {
        throw fail(`the reply is not JSON: ${text.slice(0, 100)}`, { cause });
      }
      const results = parseResults(body, request.documents.length);
      if (!results) throw fail(`expected {"results": [{"index", "relevance_score"}]} for ${request.documents.length} documents, got ${text.slice(0, 200)}`);
      return { results };
    },
  };
}
