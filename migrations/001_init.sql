-- ragline's store: collections of documents, documents of chunks, chunks with their vectors.
-- Vectors have no fixed dimension here because each collection picks its embedding model; each
-- collection gets its own partial HNSW index on a cast to its dimension (see src/store/collections.ts).

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE collections (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  embedding_provider text NOT NULL,
  embedding_model text NOT NULL,
  dimensions integer NOT NULL CHECK (dimensions > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_id bigint NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
  -- Absolute URL: http(s):// for pages, file:// for files.
  source text NOT NULL,
  title text NOT NULL DEFAULT '',
  content_type text NOT NULL DEFAULT 'text/html',
  -- sha256 of the extracted text, and the chunker settings that cut it: both equal means the stored
  -- chunks are still right and the document is skipped.
  content_hash text NOT NULL,
  chunking text NOT NULL DEFAULT '',
  chunk_count integer NOT NULL DEFAULT 0,
  token_count integer NOT NULL DEFAULT 0,
  metadata jsonb NOT NULL DEFAULT '{}',
  fetched_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (collection_id, source)
);

CREATE TABLE chunks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Repeated from the document so that searches and the per-collection index need no join.
  collection_id bigint NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
  document_id bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  ordinal integer NOT NULL,
  text text NOT NULL,
  token_count integer NOT NULL,
  heading_path text[] NOT NULL DEFAULT '{}',
  -- sha256 of the embedded input: the embedding cache key, with the collection's model and dimensions.
  text_hash text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  embedding vector NOT NULL,
  -- Title and headings weigh more than body text in keyword search.
  tsv tsvector NOT NULL,
  UNIQUE (document_id, ordinal)
);

CREATE INDEX chunks_collection_idx ON chunks (collection_id);
CREATE INDEX chunks_text_hash_idx ON chunks (text_hash);
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);
