-- Durable ingestion jobs. Workers on any number of machines claim them with
-- FOR UPDATE SKIP LOCKED and hold a lease they renew while working; a job whose worker died is
-- claimed again once its lease has expired. See src/jobs/queue.ts.

CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection text NOT NULL CHECK (collection ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  -- A start URL (site), one page URL, or a file or folder path on the workers' machines.
  source text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('site', 'page', 'path')),
  -- Ingest settings (crawl limits, chunk sizes, the embedding model for a new collection).
  options jsonb NOT NULL DEFAULT '{}',
  -- queued: waiting; running: leased by a worker; failed: an attempt failed, retried after
  -- run_after; dead: failed max_attempts times (last_error kept); done; cancelled.
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed', 'dead', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
  lease_owner text,
  lease_expires_at timestamptz,
  last_error text,
  pages integer NOT NULL DEFAULT 0,
  chunks integer NOT NULL DEFAULT 0,
  tokens bigint NOT NULL DEFAULT 0,
  -- Not claimed before this time: the backoff after a failed attempt.
  run_after timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);

-- The claim query's scan: only the jobs that can still run, oldest first.
CREATE INDEX jobs_pending_idx ON jobs (run_after, id) WHERE state IN ('queued', 'failed', 'running');
CREATE INDEX jobs_collection_idx ON jobs (collection, id);
