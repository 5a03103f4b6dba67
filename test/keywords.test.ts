import { describeEachDatabase, freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { copyBinary, supportsCopy } from '../src/store/copy.js';
import { withTransaction } from '../src/store/transaction.js';
import { chunkKeywords, keywordQuery, keywordTerms, keywordVector, tsvectorText } from '../src/text/keywords.js';
import { encodeTsvector } from '../src/store/encode-tsvector.js';

describe('keyword analysis', () => {
  test('stop words are dropped and inflections meet on one stem, as in Postgres english configuration', () => {
    expect(keywordTerms('Throttling the requests')).toEqual(['throttl', 'request']);
    expect(keywordQuery('How do I throttle a request?')).toBe("'throttl' | 'request'");
  });

  test('a compound token is indexed by its words', () => {
    expect(keywordTerms('rest_framework.throttling real-time')).toEqual(['rest', 'framework', 'throttl', 'real', 'time']);
    expect(keywordQuery('DEFAULT_THROTTLE_RATES')).toBe("'default' | 'throttl' | 'rate'");
  });

  test('positions run on from the title to the text, weighted A then B', () => {
    const v = keywordVector([
      { text: 'Rate limits', weight: 'A' },
      { text: 'limits per-user rate', weight: 'B' },
    ]);
    expect(tsvectorText(v)).toBe("'limit':2A,3B 'per':4B 'rate':1A,6B 'user':5B");
  });

  test('a lexeme keeps at most 256 positions, none past 16383, and overlong tokens are skipped', () => {
    const many = Array.from({ length: 20_000 }, () => 'word').join(' ');
    const [entry] = keywordVector([{ text: many, weight: 'D' }]);
    expect(entry!.positions).toHaveLength(256);
    const far = keywordVector([{ text: `${'filler '.repeat(17_000)} tail`, weight: 'D' }]).find((e) => e.lexeme === 'tail');
    expect(far!.positions).toEqual([16_383]);
    expect(keywordVector([{ text: `${'x'.repeat(101)} kept`, weight: 'D' }]).map((e) => e.lexeme)).toEqual(['kept']);
  });

  test('the binary form is a count, then each lexeme NUL-terminated with its packed positions', () => {
    const buf = encodeTsvector([{ lexeme: 'ab', positions: [(3 << 14) | 1, (2 << 14) | 5] }]);
    expect([...buf]).toEqual([0, 0, 0, 1, 0x61, 0x62, 0, 0, 2, 0xc0, 1, 0x80, 5]);
  });
});

describeEachDatabase('keyword vectors in the database', (backend) => {
  let db: Database & { drop(): Promise<void> };
  beforeAll(async () => {
    db = await freshDatabase(backend);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const awkward = chunkKeywords("O'Brien's \\ back\\slash", ['Ünïcode “part”', "it's"], 'Résumé naïve café 東京 tokyo 3.14 e-mail x'.repeat(3));

  test('the text form parses to the same lexemes, positions and weights', async () => {
    const { rows } = await db.pool.query<{ lexemes: string[]; positions: string }>(
      `SELECT tsvector_to_array($1::tsvector) AS lexemes, $1::tsvector::text AS positions`,
      [tsvectorText(awkward)],
    );
    expect(rows[0]!.lexemes).toEqual(awkward.map((e) => e.lexeme));
    expect(rows[0]!.positions).toBe(tsvectorText(awkward));
  });

  if (backend === 'postgres') test('the binary form sent by COPY equals the text form', async () => {
    expect(supportsCopy(db.pool)).toBe(true);
    const equal = await withTransaction(db.pool, async (client) => {
      await client.query('CREATE TEMP TABLE kw (tsv tsvector) ON COMMIT DROP');
      await copyBinary(client, 'kw (tsv)', [awkward], (w, v) => w.row(1).field(encodeTsvector(v)));
      const { rows } = await client.query<{ same: boolean }>('SELECT tsv = $1::tsvector AS same FROM kw', [tsvectorText(awkward)]);
      return rows[0]!.same;
    });
    expect(equal).toBe(true);
  });

  test("plain English prose gets the lexemes of the database's own english configuration", async () => {
    const prose = 'The serializers are validating nested relationships, and generously caching the throttled requests of running users.';
    const { rows } = await db.pool.query<{ lexemes: string[] }>(`SELECT tsvector_to_array(to_tsvector('english', $1)) AS lexemes`, [prose]);
    expect(keywordVector([{ text: prose, weight: 'D' }]).map((e) => e.lexeme)).toEqual(rows[0]!.lexemes);
  });

  test('a question analysed the same way matches, and ranks the title above the text', async () => {
    const title = tsvectorText(chunkKeywords('Throttling', [], 'Unrelated words here.'));
    const body = tsvectorText(chunkKeywords('Other', [], 'The throttles apply per user.'));
    const none = tsvectorText(chunkKeywords('Other', [], 'Nothing relevant.'));
    const { rows } = await db.pool.query<{ n: number; hit: boolean; rank: number }>(
      `SELECT n, t @@ q AS hit, ts_rank_cd(t, q, 1) AS rank
         FROM unnest($1::tsvector[]) WITH ORDINALITY AS x(t, n), CAST($2 AS tsquery) q ORDER BY n`,
      [[title, body, none], keywordQuery('throttled')],
    );
    expect(rows.map((r) => r.hit)).toEqual([true, true, false]);
    expect(rows[0]!.rank).toBeGreaterThan(rows[1]!.rank);
  });
});
