/** Store queries of meetings: the passages of one meeting, as a set. */
import type pg from 'pg';

/**
 * Delete the passages of a meeting that a new ingest did not produce (a re-cut transcript moves
 * passage boundaries), so the collection holds exactly one copy of the meeting. Returns how many.
 */
export async function removeStalePassages(pool: pg.Pool, collectionId: number, meetingUrl: string, keep: readonly string[]): Promise<number> {
  const prefix = `${meetingUrl.replace(/#.*$/, '')}#t=`;
  const { rowCount } = await pool.query(
    `DELETE FROM documents
      WHERE collection_id = $1 AND left(source, length($2)) = $2 AND NOT (source = ANY($3::text[]))`,
    [collectionId, prefix, keep],
  );
  return rowCount ?? 0;
}
