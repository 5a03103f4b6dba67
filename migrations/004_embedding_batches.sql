-- OpenAI Batch API jobs of the embed stage (`ingest --batch-api`). A batch is recorded as soon as
-- its request file is uploaded, and again when the API accepts it, so a process that stops at any
-- point finds its batches here on the next run and polls them instead of paying for new ones.

CREATE TABLE embedding_batches (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Which API and model the vectors come from: batches are only reused for the same ones.
  base_url text NOT NULL,
  model text NOT NULL,
  dimensions integer NOT NULL CHECK (dimensions > 0),
  input_file_id text NOT NULL,
  -- NULL between the upload and the API's acceptance of the batch.
  batch_id text UNIQUE,
  -- The API's status (validating, in_progress, finalizing, completed, failed, expired, cancelling,
  -- cancelled), or 'uploaded' before it has one.
  status text NOT NULL DEFAULT 'uploaded',
  output_file_id text,
  error_file_id text,
  request_count integer NOT NULL,
  input_count integer NOT NULL,
  token_count integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX embedding_batches_open ON embedding_batches (model, dimensions)
  WHERE status NOT IN ('failed', 'expired', 'cancelled');

-- The inputs of each request line: custom_id names the line, ordinal the input within it.
CREATE TABLE embedding_batch_inputs (
  batch_id bigint NOT NULL REFERENCES embedding_batches (id) ON DELETE CASCADE,
  custom_id text NOT NULL,
  ordinal integer NOT NULL,
  text_hash text NOT NULL,
  PRIMARY KEY (batch_id, custom_id, ordinal)
);

CREATE INDEX embedding_batch_inputs_hash ON embedding_batch_inputs (text_hash);
