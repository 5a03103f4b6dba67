-- Per-collection HNSW settings, and an index for filtering chunks by metadata.
--
-- NULL means pgvector's default (m 16, ef_construction 64, ef_search 40). m and ef_construction
-- shape the graph and take effect when the collection's index is (re)built; ef_search is read at
-- every search of the collection. See src/store/collections.ts.
ALTER TABLE collections
  ADD COLUMN hnsw_m integer CHECK (hnsw_m BETWEEN 2 AND 100),
  ADD COLUMN hnsw_ef_construction integer CHECK (hnsw_ef_construction BETWEEN 4 AND 1000),
  ADD COLUMN hnsw_ef_search integer CHECK (hnsw_ef_search BETWEEN 1 AND 1000),
  ADD CONSTRAINT collections_hnsw_ef_construction_check2 CHECK (hnsw_ef_construction >= 2 * coalesce(hnsw_m, 16));

-- Searches filtered by chunk metadata (`metadata @> '{"version": "3.14"}'`): a selective filter
-- is answered from this index, a broad one by the HNSW index with pgvector's iterative scan.
CREATE INDEX chunks_metadata_idx ON chunks USING gin (metadata jsonb_path_ops);
