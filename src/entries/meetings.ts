/**
 * `ragline/meetings`: transcripts (read, parse, write), audio splitting and transcription, minutes
 * (generated, extractive, rendered) and their outputs, meetings made searchable. Only re-exports.
 */
export * from '../meetings/transcript.js';
export * from '../meetings/parse-transcript.js';
export * from '../meetings/read-transcript.js';
export * from '../meetings/write-transcript.js';
export * from '../meetings/transcript-lines.js';
export * from '../meetings/split-audio.js';
export * from '../meetings/transcribe-audio.js';
export * from '../meetings/minutes.js';
export * from '../meetings/templates.js';
export * from '../meetings/template-schemas.js';
export { deriveLayout, titleOf } from '../meetings/template-layout.js';
export * from '../meetings/transcript-turns.js';
export { findMotions, publicCommentSpans, type Span } from '../meetings/extractive-council.js';
export { rollCall, meetingDetails, adjournedAt } from '../meetings/extractive-record.js';
export * from '../meetings/generate-minutes.js';
export * from '../meetings/write-minutes.js';
export { extractiveMinutes, EXTRACTIVE_MINUTES_ID, type ExtractiveMinutesOptions } from '../meetings/extractive-minutes.js';
export * from '../meetings/render-minutes.js';
export * from '../meetings/write-outputs.js';
export * from '../meetings/meeting-passages.js';
export * from '../meetings/ingest-meeting.js';
export * from '../meetings/meeting-minutes.js';
