-- Transcribed pieces of meeting audio, kept so that an interrupted transcription resumes without
-- paying for the pieces already done. A piece is identified by the audio's content hash, the model,
-- and where it was cut: the same file cut the same way by the same model is the same piece.

CREATE TABLE meeting_audio_pieces (
  audio_hash text NOT NULL,
  model text NOT NULL,
  -- Start and end of the piece in milliseconds of the original audio.
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL,
  -- The transcription as the model returned it, times relative to the piece: {text, segments, duration?, language?}.
  result jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (audio_hash, model, start_ms, end_ms)
);
