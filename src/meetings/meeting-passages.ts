/**
 * A meeting as searchable documents: its transcript cut into passages at speaker turns, each passage
 * a document of its own whose URL points at its moment in the meeting with a media fragment
 * (`file:///…/meeting.vtt#t=754`, W3C Media Fragments) and whose title says when it was said
 * ("Budget review at 00:12:34"). Retrieval, the answer prompt and `ask`'s source list then cite the
 * time with no special case anywhere: a source is a moment of a meeting.
 */
import { createHash } from 'node:crypto';
import type { ExtractedDocument } from '../types.js';
import { getTokenizer, type TokenizerEncoding } from '../models/tokenizer.js';
import { chunkTranscriptLines, transcriptLines } from './transcript-lines.js';
import { formatClock, type Transcript } from './transcript.js';

/** Options of {@link meetingPassages}. */
export interface MeetingPassagesOptions {
  /** The meeting's URL (`file://…` of its input); passages add `#t=<seconds>`. */
  url: string;
  title: string;
  /** @default 'cl100k_base' (the embedding model's encoding) */
  encoding?: TokenizerEncoding;
  /**
   * Transcript tokens in one passage; keep it under the chunk size so a passage is one chunk.
   * @default 200
   */
  passageTokens?: number;
  /** @default now */
  fetchedAt?: Date;
}

/** Metadata each passage's chunks carry (chunk `metadata` jsonb). */
export interface PassageMetadata {
  meeting: string;
  meetingTitle: string;
  /** Seconds from the start of the meeting. */
  start: number;
  end: number;
  /** `hh:mm:ss` of `start`. */
  time: string;
  /** Speakers named in the passage, in order of first appearance. */
  speakers: string[];
}

/** The passage URL for a moment of a meeting. */
export function passageUrl(meetingUrl: string, seconds: number): string {
  return `${meetingUrl.replace(/#.*$/, '')}#t=${Math.floor(seconds)}`;
}

/** The meeting's passages as documents, with the metadata their chunks should carry (by URL). */
export function meetingPassages(transcript: Transcript, options: MeetingPassagesOptions): Array<{ document: ExtractedDocument; metadata: PassageMetadata }> {
  const tok = getTokenizer(options.encoding ?? 'cl100k_base');
  const chunks = chunkTranscriptLines(transcriptLines(transcript.segments), options.passageTokens ?? 200, tok);
  const fetchedAt = options.fetchedAt ?? new Date();
  const seen = new Set<string>();
  return chunks.map((chunk) => {
    // Two passages starting in the same second (a long line cut in pieces) get distinct URLs.
    let second = Math.floor(chunk.start);
    while (seen.has(passageUrl(options.url, second))) second++;
    const url = passageUrl(options.url, second);
    seen.add(url);
    const speakers = [...new Set(chunk.lines.map((l) => l.speaker).filter((s): s is string => Boolean(s)))];
    const title = `${options.title} at ${formatClock(chunk.start)}`;
    return {
      document: {
        url,
        title,
        contentType: 'text/plain',
        fetchedAt,
        blocks: [{ kind: 'paragraph', text: chunk.text, headingPath: [] }],
        contentHash: createHash('sha256').update(`${title}\n${chunk.text}`).digest('hex'),
      },
      metadata: { meeting: options.url, meetingTitle: options.title, start: chunk.start, end: chunk.end, time: formatClock(chunk.start), speakers },
    };
  });
}
