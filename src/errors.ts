/**
 * ragline's error hierarchy. Every error carries the data a developer needs (as fields) and the
 * underlying `cause`; its `message` is the one line a user sees: what was wrong and what to do.
 */

/** Options common to every ragline error. */
export interface RaglineErrorOptions {
  /** The error that caused this one, kept for developers (`err.cause`). */
  cause?: unknown;
}

/** Base class of every error ragline throws on purpose. */
export class RaglineError extends Error {
  /** A stable, machine-readable code such as `config` or `fetch`. */
  readonly code: string;

  constructor(code: string, message: string, options: RaglineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option, argument or environment variable has an invalid value. */
export class ConfigError extends RaglineError {
  /** The name of the offending option. */
  readonly option: string;
  /** The value that was given. */
  readonly value: unknown;

  constructor(option: string, value: unknown, message: string, options: RaglineErrorOptions = {}) {
    super('config', message, options);
    this.option = option;
    this.value = value;
  }
}

/** Fetching a URL failed or was refused (SSRF guard, size cap, timeout, bad status...). */
export class FetchError extends RaglineError {
  /** The URL that was being fetched. */
  readonly url: string;
  /** The HTTP status, when a response arrived. */
  readonly status: number | undefined;
  /** Why: `private-address`, `scheme`, `timeout`, `too-large`, `redirects`, `status`, `network`. */
  readonly reason: string;

  constructor(
    url: string,
    reason: string,
    message: string,
    options: RaglineErrorOptions & { status?: number } = {},
  ) {
    super('fetch', message, options);
    this.url = url;
    this.reason = reason;
    this.status = options.status;
  }
}

/** A model provider call failed (HTTP error, limit exceeded, bad response). */
export class ModelError extends RaglineError {
  /** The provider, e.g. `openai` or `local`. */
  readonly provider: string;
  /** The model id. */
  readonly model: string;
  /** HTTP status from the provider, when there was one. */
  readonly status: number | undefined;
  /** Whether trying the same call again may succeed. */
  readonly isRetryable: boolean;

  constructor(
    provider: string,
    model: string,
    message: string,
    options: RaglineErrorOptions & { status?: number; isRetryable?: boolean; code?: string } = {},
  ) {
    super(options.code ?? 'model', message, options);
    this.provider = provider;
    this.model = model;
    this.status = options.status;
    this.isRetryable = options.isRetryable ?? false;
  }
}

/** The database could not be opened, migrated or queried as expected. */
export class StoreError extends RaglineError {
  constructor(message: string, options: RaglineErrorOptions = {}) {
    super('store', message, options);
  }
}

/** A piece of input (page, file, chunk) could not be processed. */
export class InputError extends RaglineError {
  /** The source (URL or path) of the offending input. */
  readonly source: string;

  constructor(source: string, message: string, options: RaglineErrorOptions = {}) {
    super('input', message, options);
    this.source = source;
  }
}

/**
 * A document that cannot be read (corrupt, encrypted, without a text layer, over the size limit):
 * the ingest skips it, counts it under `reason` and goes on with the other documents.
 */
export class UnreadableDocumentError extends InputError {
  /** Why, as a stable word: `corrupt`, `encrypted`, `image-only`, `too-large`, `unreadable`. */
  readonly reason: string;

  constructor(source: string, reason: string, message: string, options: RaglineErrorOptions = {}) {
    super(source, message, options);
    this.reason = reason;
  }
}

/** Describe a value for an error message: `` `0` (number)``, as p-queue and ky do. */
export function describeValue(value: unknown): string {
  // String() for numbers: JSON would show Infinity and NaN as null (and cannot show a bigint).
  const shown = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : JSON.stringify(value);
  return `\`${shown}\` (${value === null ? 'null' : typeof value})`;
}
