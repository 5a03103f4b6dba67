/**
 * The shared option checks: every module's invalid option fails with one wording that names the
 * option and shows the value, and the CLI prints the same error with the flag's name.
 */
import { ConfigError, FetchError } from '../src/errors.js';
import { checkBoolean, checkInteger, checkNonEmptyString, checkNumber, checkOneOf } from '../src/options/check.js';
import { flagMessage } from '../src/cli/option-flags.js';
import { chunkingFingerprint } from '../src/stages/chunk.js';
import { crawl } from '../src/stages/crawl.js';
import { checkHnswSettings } from '../src/store/collections.js';

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('checkInteger', () => {
  test.each([
    [{ min: 1 }, 0, 'Expected `maxPages` to be an integer from 1 and up, got `0` (number).'],
    [{ min: 1, max: 1000 }, 1001, 'Expected `maxPages` to be an integer from 1 to 1000, got `1001` (number).'],
    [{ min: 2, max: 100, why: "pgvector's range" }, 1, "Expected `maxPages` to be an integer from 2 to 100 (pgvector's range), got `1` (number)."],
    [{ max: 10 }, 11, 'Expected `maxPages` to be an integer up to 10, got `11` (number).'],
    [{}, 1.5, 'Expected `maxPages` to be an integer, got `1.5` (number).'],
    [{ min: 1 }, '3', 'Expected `maxPages` to be an integer from 1 and up, got `3` (string).'],
    [{ min: 1 }, undefined, 'Expected `maxPages` to be an integer from 1 and up, got `undefined` (undefined).'],
    [{ min: 1, of: 'answers' }, 0, 'Expected `maxPages` of answers to be an integer from 1 and up, got `0` (number).'],
  ])('with %j, %p fails with the option, the range and the value', (range, value, message) => {
    const err = thrown(() => checkInteger('maxPages', value, range));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ option: 'maxPages', value, message });
  });

  test('returns a valid value, bounds included', () => {
    expect(checkInteger('k', 1, { min: 1, max: 1000 })).toBe(1);
    expect(checkInteger('k', 1000, { min: 1, max: 1000 })).toBe(1000);
    expect(checkInteger('delayMs', 0, { min: 0 })).toBe(0);
  });
});

describe('the other checks', () => {
  test('checkNumber takes finite numbers, with an exclusive lower bound when asked', () => {
    expect(checkNumber('burst', 0.5, { above: 0 })).toBe(0.5);
    expect(thrown(() => checkNumber('burst', 0, { above: 0 })).message).toBe('Expected `burst` to be a number above 0, got `0` (number).');
    expect(thrown(() => checkNumber('pollIntervalMs', Infinity, { min: 0 })).message).toBe('Expected `pollIntervalMs` to be a number from 0 and up, got `Infinity` (number).');
    expect(thrown(() => checkNumber('ratio', 2, { above: 0, max: 1 })).message).toBe('Expected `ratio` to be a number above 0 and up to 1, got `2` (number).');
  });

  test('checkOneOf lists the choices', () => {
    expect(checkOneOf('scope', 'domain', ['host', 'domain', 'prefix'])).toBe('domain');
    expect(thrown(() => checkOneOf('scope', 'planet', ['host', 'domain', 'prefix'])).message).toBe(
      'Expected `scope` to be one of "host", "domain" or "prefix", got `planet` (string).',
    );
  });

  test('checkNonEmptyString refuses blanks, and line breaks when single-line', () => {
    expect(checkNonEmptyString('userAgent', 'bot/1.0', { singleLine: true })).toBe('bot/1.0');
    expect(thrown(() => checkNonEmptyString('userAgent', ' ')).message).toBe('Expected `userAgent` to be a non-empty string, got ` ` (string).');
    expect(thrown(() => checkNonEmptyString('userAgent', 'a\nb', { singleLine: true })).message).toMatch(/^Expected `userAgent` to be a non-empty single-line string, got /);
  });

  test('checkBoolean takes only true and false', () => {
    expect(checkBoolean('robots', false)).toBe(false);
    expect(thrown(() => checkBoolean('robots', 'no')).message).toBe('Expected `robots` to be true or false, got `no` (string).');
  });
});

describe('the library speaks of options, in one wording', () => {
  test('stages, crawl and store name the option and show the value', () => {
    expect(thrown(() => crawl('https://example.com/', { concurrency: 0 })).message).toBe('Expected `concurrency` to be an integer from 1 and up, got `0` (number).');
    expect(thrown(() => crawl('https://example.com/', { scope: 'planet' as never })).message).toBe('Expected `scope` to be one of "host", "domain" or "prefix", got `planet` (string).');
    expect(thrown(() => crawl('https://example.com/', { robots: 'no' as never })).message).toBe('Expected `robots` to be true or false, got `no` (string).');
    expect(thrown(() => chunkingFingerprint({ maxTokens: 100, overlapTokens: 80 })).message).toBe(
      'Expected `overlapTokens` to be an integer from 0 to 50 (half of `maxTokens`), got `80` (number).',
    );
    expect(thrown(() => checkHnswSettings({ efSearch: 0 })).message).toBe("Expected `efSearch` to be an integer from 1 to 1000 (pgvector's range), got `0` (number).");
  });
});

describe('the CLI prints options as flags', () => {
  test("an error's own option, and every option the message names, become flags", () => {
    expect(flagMessage(new ConfigError('overlapTokens', 80, 'Expected `overlapTokens` to be an integer from 0 to 50 (half of `maxTokens`), got `80` (number).'))).toBe(
      'Expected --chunk-overlap to be an integer from 0 to 50 (half of --chunk-tokens), got `80` (number).',
    );
    expect(flagMessage(new ConfigError('efConstruction', 40, 'Expected `efConstruction` to be at least twice `m` (64), got 40.'))).toBe('Expected --ef-construction to be at least twice --m (64), got 40.');
    // A CLI-only flag, by its camel-case name.
    expect(flagMessage(new ConfigError('leaseSeconds', 'x', 'Expected `leaseSeconds` to be an integer from 1 and up, got `x` (string).'))).toBe(
      'Expected --lease-seconds to be an integer from 1 and up, got `x` (string).',
    );
  });

  test('other errors too; values and command lines stay as written', () => {
    const refused = new FetchError('http://127.0.0.1/', 'private-address', 'Refusing to fetch http://127.0.0.1/: 127.0.0.1 is a private or loopback address. Pass `allowPrivateNetwork: true` to crawl local or intranet sites.');
    expect(flagMessage(refused)).toBe('Refusing to fetch http://127.0.0.1/: 127.0.0.1 is a private or loopback address. Pass --allow-private-network to crawl local or intranet sites.');
    expect(flagMessage(new ConfigError('k', 'k', 'Expected `k` to be an integer from 1 and up, got `k` (string).'))).toBe('Expected --k to be an integer from 1 and up, got `k` (string).');
    expect(flagMessage(new ConfigError('id', 9, 'No job 9: `ragline jobs list` shows the jobs there are.'))).toBe('No job 9: `ragline jobs list` shows the jobs there are.');
    expect(flagMessage(new ConfigError('source', 'x', 'Not `constructor` nor `toString`.'))).toBe('Not `constructor` nor `toString`.');
  });
});
