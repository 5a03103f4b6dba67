/** Store queries of transcribed audio pieces (migrations/005_meetings.sql). */
import type pg from 'pg';
import type { TranscribeResult } from '../models/spec.js';

/** Identifies a piece: the audio's sha256, the model, and its span in milliseconds. */
export interface PieceKey {
  audioHash: string;
  model: string;
  startMs: number;
  endMs: number;
}

/** Transcriptions already stored for these pieces, by `startMs:endMs`. */
export async function findTranscribedPieces(pool: pg.Pool, audioHash: string, model: string): Promise<Map<string, TranscribeResult>> {
  const { rows } = await pool.query<{ start_ms: string; end_ms: string; result: TranscribeResult }>(
    'SELECT start_ms, end_ms, result FROM meeting_audio_pieces WHERE audio_hash = $1 AND model = $2',
    [audioHash, model],
  );
  return new Map(rows.map((r) => [`${Number(r.start_ms)}:${Number(r.end_ms)}`, r.result]));
}

/** Keep a piece's transcription (replacing an earlier one). */
export async function saveTranscribedPiece(pool: pg.Pool, key: PieceKey, result: TranscribeResult): Promise<void> {
  await pool.query(
    `INSERT INTO meeting_audio_pieces (audio_hash, model, start_ms, end_ms, result) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (audio_hash, model, start_ms, end_ms) DO UPDATE SET result = EXCLUDED.result, created_at = now()`,
    [key.audioHash, key.model, key.startMs, key.endMs, JSON.stringify(result)],
  );
}
