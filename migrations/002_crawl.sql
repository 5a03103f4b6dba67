-- Crawl state: the frontier and what is known about each page, per collection and start URL, so
-- that a killed crawl resumes where it stopped and a re-crawl fetches and embeds only what changed.

CREATE TABLE crawl_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_id bigint NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
  -- The start URL as the user gave it (normalised): one crawl state per collection and start URL.
  start_url text NOT NULL,
  -- running: started, not finished (killed, or failed): the next ingest resumes it.
  -- finished: ended; `exhausted` says whether every reachable page was visited.
  status text NOT NULL CHECK (status IN ('running', 'finished')),
  exhausted boolean NOT NULL DEFAULT false,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

CREATE INDEX crawl_runs_start_idx ON crawl_runs (collection_id, start_url, id);

CREATE SEQUENCE crawl_pages_queue_seq;

CREATE TABLE crawl_pages (
  collection_id bigint NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
  start_url text NOT NULL,
  -- The page's identity: its normalised URL without the scheme (see pageKey in src/stages/crawl.ts).
  page_key text NOT NULL,
  -- The URL to request, and the link distance from the start URL.
  url text NOT NULL,
  depth integer NOT NULL,
  -- The last run that queued the page, and where the page stands in it:
  -- queued (in the frontier), fetched (yielded, not yet stored), done (settled).
  run_id bigint NOT NULL REFERENCES crawl_runs (id) ON DELETE CASCADE,
  state text NOT NULL CHECK (state IN ('queued', 'fetched', 'done')),
  -- Frontier order within a run.
  queue_seq bigint NOT NULL DEFAULT nextval('crawl_pages_queue_seq'),
  -- The document the page is stored as (documents.source), when it has one.
  document_url text,
  -- Validators for conditional requests, the sitemap's lastmod, the extracted text's hash.
  etag text,
  last_modified text,
  sitemap_lastmod text,
  content_hash text,
  last_status integer,
  -- Links the page had, followed again when it is known unchanged without fetching it.
  links text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collection_id, start_url, page_key)
);

CREATE INDEX crawl_pages_run_idx ON crawl_pages (run_id, state, queue_seq);
