/**
 * The error responses of the OpenAI API, with the status, body wording, `type`, `param` and `code`
 * the real service sends, so that client code (and the SDK's error classes) see the same thing
 * here as in production. Wordings were checked against error bodies quoted in public bug reports.
 */

/** An error response: thrown inside a handler, turned into `{"error": {...}}` by the server. */
export class ApiErrorResponse extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Extra response headers, such as `retry-after`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiErrorResponse';
  }

  /** The JSON body, in the API's field order. */
  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const API_REFERENCE = 'https://platform.openai.com/docs/api-reference';
const RATE_LIMITS_PAGE = 'https://platform.openai.com/account/rate-limits';

/** 400 `invalid_request_error`, the API's answer to anything malformed. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): ApiErrorResponse {
  return new ApiErrorResponse(400, message, 'invalid_request_error', param, code);
}

/** 401 when no bearer token is sent at all. */
export function missingApiKey(): ApiErrorResponse {
  return new ApiErrorResponse(
    401,
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth " +
      '(i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you\'re accessing the ' +
      'API from your browser and are prompted for a username and password. You can obtain an API key from ' +
      'https://platform.openai.com/account/api-keys.',
    'invalid_request_error',
  );
}

/** 404 for a path the API does not have. */
export function invalidUrl(method: string, path: string): ApiErrorResponse {
  return new ApiErrorResponse(404, `Invalid URL (${method} ${path})`, 'invalid_request_error');
}

/** 404 for a model id that does not exist. */
export function modelNotFound(model: string): ApiErrorResponse {
  return new ApiErrorResponse(
    404,
    `The model \`${model}\` does not exist or you do not have access to it.`,
    'invalid_request_error',
    null,
    'model_not_found',
  );
}

/** 400 for a body that is not JSON. */
export function unparsableJson(): ApiErrorResponse {
  return invalidRequest(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library " +
      "correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble " +
      'figuring out how to fix this, please contact us through our help center at help.openai.com.)',
  );
}

/** 400 `missing_required_parameter`. */
export function missingParameter(param: string): ApiErrorResponse {
  return invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

/** 400 for an integer parameter outside its range, in the API's current wording. */
export function integerOutOfRange(param: string, value: number, bound: number, side: 'min' | 'max'): ApiErrorResponse {
  return side === 'min'
    ? invalidRequest(
        `Invalid '${param}': integer below minimum value. Expected a value >= ${bound}, but got ${value} instead.`,
        param,
        'integer_below_min_value',
      )
    : invalidRequest(
        `Invalid '${param}': integer above maximum value. Expected a value <= ${bound}, but got ${value} instead.`,
        param,
        'integer_above_max_value',
      );
}

/** 400 for a parameter of the wrong JSON type. */
export function invalidType(param: string, expected: string, value: unknown): ApiErrorResponse {
  return invalidRequest(
    `Invalid type for '${param}': expected ${expected}, but got ${describeJsonType(value)} instead.`,
    param,
    'invalid_type',
  );
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal number';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** 400 for an embeddings `input` of the wrong shape: empty, too many items, mixed types. */
export function invalidEmbeddingInput(): ApiErrorResponse {
  return invalidRequest(`'$.input' is invalid. Please check the API reference: ${API_REFERENCE}.`);
}

/** 400 for one embedding input over the model's token limit. */
export function embeddingInputTooLong(contextLength: number, tokens: number): ApiErrorResponse {
  return invalidRequest(
    `This model's maximum context length is ${contextLength} tokens, however you requested ${tokens} tokens ` +
      `(${tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`,
  );
}

/** 400 for an embeddings request whose inputs sum to more tokens than one request may carry. */
export function embeddingRequestTooLarge(tokens: number, limit: number): ApiErrorResponse {
  // The real body uses `max_tokens_per_request` as the type, not `invalid_request_error`.
  return new ApiErrorResponse(
    400,
    `Requested ${tokens} tokens, max ${limit} tokens per request`,
    'max_tokens_per_request',
    null,
    'max_tokens_per_request',
  );
}

/** 400 for a chat request whose messages plus requested completion exceed the context window. */
export function contextLengthExceeded(contextWindow: number, promptTokens: number, completionTokens: number | undefined): ApiErrorResponse {
  const message =
    completionTokens === undefined
      ? `This model's maximum context length is ${contextWindow} tokens. However, your messages resulted in ` +
        `${promptTokens} tokens. Please reduce the length of the messages.`
      : `This model's maximum context length is ${contextWindow} tokens. However, you requested ` +
        `${promptTokens + completionTokens} tokens (${promptTokens} in the messages, ${completionTokens} in the ` +
        'completion). Please reduce the length of the messages or completion.';
  return invalidRequest(message, 'messages', 'context_length_exceeded');
}

/** 400 for `max_tokens` / `max_completion_tokens` above the model's output limit. */
export function maxTokensTooLarge(param: string, value: number, limit: number): ApiErrorResponse {
  return invalidRequest(
    `${param} is too large: ${value}. This model supports at most ${limit} completion tokens, whereas you provided ${value}.`,
    param,
  );
}

/** Which limit a 429 is about: the `type` of its body. */
export type RateLimitKind = 'requests' | 'tokens';

/** 429 for a request over the per-minute budget; the message says when to try again. */
export function rateLimitReached(options: {
  model: string;
  organization: string;
  kind: RateLimitKind;
  limit: number;
  used: number;
  requested: number;
  retryIn: string;
  headers?: Record<string, string>;
}): ApiErrorResponse {
  const unit = options.kind === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
  return new ApiErrorResponse(
    429,
    `Rate limit reached for ${options.model} in organization ${options.organization} on ${unit}: ` +
      `Limit ${options.limit}, Used ${options.used}, Requested ${options.requested}. ` +
      `Please try again in ${options.retryIn}. Visit ${RATE_LIMITS_PAGE} to learn more.`,
    options.kind,
    null,
    'rate_limit_exceeded',
    options.headers,
  );
}

/** 429 for one request needing more tokens than the whole per-minute budget: waiting cannot help. */
export function requestTooLargeForRateLimit(model: string, organization: string, limit: number, requested: number): ApiErrorResponse {
  return new ApiErrorResponse(
    429,
    `Request too large for ${model} in organization ${organization} on tokens per min (TPM): Limit ${limit}, ` +
      `Requested ${requested}. The input or output tokens must be reduced in order to run successfully. ` +
      `Visit ${RATE_LIMITS_PAGE} to learn more.`,
    'tokens',
    null,
    'rate_limit_exceeded',
  );
}

/** 429 `insufficient_quota`: the account is out of credit, so retrying is pointless. */
export function insufficientQuota(headers: Record<string, string> = {}): ApiErrorResponse {
  return new ApiErrorResponse(
    429,
    'You exceeded your current quota, please check your plan and billing details. For more information on this ' +
      'error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    'insufficient_quota',
    null,
    'insufficient_quota',
    headers,
  );
}

/** 500 as the API sends it when something broke on its side. */
export function serverError(headers: Record<string, string> = {}): ApiErrorResponse {
  return new ApiErrorResponse(
    500,
    'The server had an error while processing your request. Sorry about that!',
    'server_error',
    null,
    null,
    headers,
  );
}

/** 502 as OpenAI's edge sends it. */
export function badGateway(headers: Record<string, string> = {}): ApiErrorResponse {
  return new ApiErrorResponse(502, 'Bad gateway.', 'cf_bad_gateway', null, null, headers);
}

/** 503 when the model is overloaded. */
export function overloaded(requestId: string, headers: Record<string, string> = {}): ApiErrorResponse {
  return new ApiErrorResponse(
    503,
    'That model is currently overloaded with other requests. You can retry your request, or contact us through ' +
      `our help center at help.openai.com if the error persists. (Please include the request ID ${requestId} in your message.)`,
    'server_error',
    null,
    null,
    headers,
  );
}
