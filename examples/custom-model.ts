/**
 * Your own models in ragline: an embedding model and a chat model written here, offline (no API,
 * no network), plugged into `ingest`, `search` and `ask`.
 *
 *   node custom-model.js <folder of .md, .html or .txt files> ["a question"]
 *
 * The data goes to DATABASE_URL when it is set, else to the embedded database in RAGLINE_DATA_DIR
 * (default ./.ragline).
 */
import { createHash } from 'node:crypto';
import {
  ask,
  getTokenizer,
  ingest,
  openDatabase,
  registerProvider,
  search,
  type ChatModel,
  type ChatRequest,
  type ChatStreamPart,
  type EmbeddingModel,
  type EmbedRequest,
  type EmbedResult,
  type SearchResult,
} from 'ragline';

const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/**
 * "Feature hashing": every word adds ±1 to one of `dimensions` slots chosen by its hash, and the
 * vector is scaled to length 1, so texts sharing words point the same way (cosine similarity).
 * Deterministic: the same text always gets the same vector.
 */
function hashVector(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  for (const word of words(text)) {
    const hash = createHash('sha256').update(word).digest();
    vector[hash.readUInt32LE(0) % dimensions]! += hash[4]! & 1 ? 1 : -1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((x) => x / norm);
}

/** An `EmbeddingModel`: what it is (as data) and one method, `embed`. */
function hashingEmbedding(dimensions = 256): EmbeddingModel {
  const tokenizer = getTokenizer('cl100k_base');
  return {
    provider: 'example',
    modelId: 'word-hash-v1',
    dimensions,
    // The encoding ragline counts tokens in, to cut chunks that fit `maxInputTokens`.
    encoding: 'cl100k_base',
    maxInputTokens: 8191,
    maxInputsPerCall: 256,
    maxTokensPerCall: 300_000,
    async embed(request: EmbedRequest): Promise<EmbedResult> {
      return {
        embeddings: request.inputs.map((text) => hashVector(text, dimensions)),
        usage: { inputTokens: request.inputs.reduce((n, text) => n + tokenizer.count(text), 0), outputTokens: 0 },
      };
    },
  };
}

/**
 * A `ChatModel` that writes nothing of its own: it answers with the sentence (or line) of the
 * sources that shares the most words with the question, citing it as `[n]`. `ask` gives every
 * model the question and the numbered sources as data (`request.grounding`) besides the prompt's
 * messages.
 */
function quotingChat(): ChatModel {
  return {
    provider: 'example',
    modelId: 'best-sentence-v1',
    contextWindow: 16_000,
    maxOutputTokens: 500,
    encoding: 'cl100k_base',
    // It only quotes: ragline then never asks it to rewrite or summarise.
    capabilities: { generatesText: false },
    async *stream(request: ChatRequest): AsyncGenerator<ChatStreamPart> {
      // Words of four letters or more: "a", "the", "has" would match every sentence.
      const asked = new Set(words(request.grounding?.question ?? '').filter((w) => w.length >= 4));
      let best = { score: 0, text: "I don't know." };
      for (const source of request.grounding?.sources ?? []) {
        for (const sentence of source.text.split(/(?<=[.!?])\s+|\n+/)) {
          const score = new Set(words(sentence).filter((w) => asked.has(w))).size;
          if (score > best.score) best = { score, text: `${sentence.trim()} [${source.number}]` };
        }
      }
      yield { type: 'text', text: best.text };
      yield { type: 'finish', finishReason: 'stop' };
    },
  };
}

function printResults(label: string, results: readonly SearchResult[]): void {
  console.log(`\n${label}`);
  for (const r of results) console.log(`  ${r.score.toFixed(3)}  ${r.headingPath.join(' › ') || r.title} — ${r.url}`);
}

const folder = process.argv[2];
if (!folder) {
  console.error('Usage: node custom-model.js <folder of .md, .html or .txt files> ["a question"]');
  process.exit(2);
}
const question = process.argv[3] ?? 'What is this about?';
const collection = 'custom-model-example';

// A collection stores its embedding model's provider and id. Registering the provider lets ragline
// rebuild the model from those names: `search` and `ask` then need no `embedding`, and neither do
// the CLI (`ragline search --collection custom-model-example`, in a process that registers it),
// the server or the job workers.
registerProvider('example', {
  embedding: (selection) => hashingEmbedding(selection.dimensions),
  chat: () => quotingChat(),
});

const db = await openDatabase();
try {
  const embedding = hashingEmbedding();
  const summary = await ingest({ db, source: folder, collection, embedding });
  console.log(`Ingested ${summary.documents} documents (${summary.new} new, ${summary.changed} changed) into ${summary.chunks} chunks.`);

  printResults('search, passing the model:', await search({ db, collection, query: question, embedding, k: 3 }));
  printResults('search, the model rebuilt by the registry:', await search({ db, collection, query: question, k: 3 }));

  const { answer, sources } = await ask({ db, collection, question, chat: quotingChat() });
  console.log(`\nQ: ${question}\nA: ${answer}\nSources:`);
  for (const s of sources) console.log(`  [${s.number}] ${s.title} — ${s.url}${s.cited ? ' (cited)' : ''}`);
} finally {
  await db.close();
}
