/**
 * The JSON schemas of the built-in minutes templates, strict-mode ready for structured outputs
 * (every property required, no extra properties; "not said" is `null`, never a missing key).
 *
 * Field names carry meaning the checks rely on (see `minutes.ts`): `timestamp` and `adjourned_at`
 * are transcript times checked against the part of the meeting they came from; `owner`, `due_date`,
 * `mover`, `seconder`, `date`, `time`, `place` and every number (vote tallies) are kept only when
 * the transcript says them.
 */

/** A JSON schema node, as plain data. */
export type JsonSchema = Record<string, unknown>;

const text = (description: string): JsonSchema => ({ type: 'string', description });
const maybe = (description: string): JsonSchema => ({ type: ['string', 'null'], description });
const count = (description: string): JsonSchema => ({ type: ['integer', 'null'], description });
const list = (items: JsonSchema, description: string): JsonSchema => ({ type: 'array', items, description });

/** An object node: every property required, nothing else allowed. */
export function objectSchema(properties: Record<string, JsonSchema>, description?: string): JsonSchema {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties, ...(description ? { description } : {}) };
}

const timestamp = maybe('The [hh:mm:ss] of the transcript line it comes from.');

const summary = text('A concise abstract paragraph of the meeting.');
const keyPoints = list(text('One sentence.'), 'The main points discussed, one sentence each, in meeting order.');
const decisions = list(
  objectSchema({ text: text('The decision, one sentence.'), timestamp }),
  'Decisions the meeting actually made, in meeting order; none if none were made.',
);
const actionItems = list(
  objectSchema({
    task: text('What is to be done.'),
    owner: maybe('Who will do it, only a person or group the transcript names as doing it; else null.'),
    due_date: maybe('When it is due, only as the transcript states it ("Friday", "March 3"); else null.'),
    timestamp,
  }),
  'Tasks someone agreed or was directed to do, in meeting order. Never a request made during public comment.',
);
const sentiment = objectSchema(
  { label: { type: 'string', enum: ['positive', 'neutral', 'negative', 'mixed'] }, explanation: text('One or two sentences saying why.') },
  "The meeting's overall tone.",
);

/** `general`: the four parts of OpenAI's meeting-minutes tutorial, plus decisions. */
export const GENERAL_SCHEMA: JsonSchema = objectSchema({ abstract_summary: summary, key_points: keyPoints, decisions, action_items: actionItems, sentiment });

const motions = list(
  objectSchema({
    text: text('What was moved, as put to the vote.'),
    mover: maybe('Who moved it, only when stated; else null.'),
    seconder: maybe('Who seconded it, only when stated; else null.'),
    tally: objectSchema(
      {
        yes: count('Ayes/yes votes, only when counted aloud; else null.'),
        no: count('Noes/nays, only when counted aloud; else null.'),
        abstain: count('Abstentions, only when counted; else null.'),
        absent: count('Absent or excused members, only when counted; else null.'),
      },
      'The vote count as announced; all null for a voice vote.',
    ),
    result: { type: ['string', 'null'], enum: ['carried', 'failed', 'tabled', 'withdrawn', null], description: 'The result as announced; null when not heard.' },
    timestamp,
  }),
  'Every motion put to a vote, in meeting order, including procedural ones (approve the minutes, suspend the rules, adjourn).',
);

/** `council` and `board`: the minutes of record of a formal meeting. */
export const COUNCIL_SCHEMA: JsonSchema = objectSchema({
  meeting: objectSchema(
    { date: maybe('The meeting date, only when stated.'), time: maybe('The time it was called to order, only when stated.'), place: maybe('Where it met, only when stated.') },
    'When and where, as stated in the meeting.',
  ),
  attendees: objectSchema(
    { present: list(text('A name.'), 'Members answering the roll call or named as present.'), absent: list(text('A name.'), 'Members named as absent or excused.') },
    'Attendance, from the roll call when one is heard.',
  ),
  abstract_summary: summary,
  agenda_items: list(
    objectSchema({ title: text('The agenda item as announced.'), summary: text('What was said about it, one to three sentences.'), timestamp }),
    'The agenda items taken up, in order.',
  ),
  motions,
  decisions,
  action_items: actionItems,
  public_comment: maybe('A summary of public comment (who spoke on what), or null when there was none.'),
  adjourned_at: maybe('The [hh:mm:ss] of the transcript line where the meeting was adjourned; null when not heard.'),
});

/** `standup`: what each person did, will do, and what blocks them. */
export const STANDUP_SCHEMA: JsonSchema = objectSchema({
  abstract_summary: summary,
  updates: list(
    objectSchema({
      person: text('The speaker.'),
      yesterday: maybe('What they did since the last stand-up, as they said it; else null.'),
      today: maybe('What they will do next; else null.'),
      blockers: maybe('What blocks them; null when nothing does.'),
      timestamp,
    }),
    'One entry per person, in speaking order.',
  ),
  action_items: actionItems,
});

/** `retro`: what went well, what did not, what to change. */
export const RETRO_SCHEMA: JsonSchema = objectSchema({
  abstract_summary: summary,
  went_well: list(text('One sentence.'), 'What went well, as the team said it.'),
  to_improve: list(text('One sentence.'), 'What did not go well.'),
  decisions,
  action_items: actionItems,
  sentiment,
});

/** `one-on-one`: topics, feedback and follow-ups between two people. */
export const ONE_ON_ONE_SCHEMA: JsonSchema = objectSchema({
  abstract_summary: summary,
  topics: list(objectSchema({ topic: text('The topic.'), summary: text('What was said, one to three sentences.'), timestamp }), 'Topics discussed, in order.'),
  feedback: list(text('One sentence.'), 'Feedback given either way.'),
  action_items: actionItems,
  next_time: list(text('One sentence.'), 'What to bring up next time.'),
});

/** `interview`: the questions asked, answers, strengths and concerns. */
export const INTERVIEW_SCHEMA: JsonSchema = objectSchema({
  candidate: maybe('The candidate, only when named.'),
  role: maybe('The role interviewed for, only when stated.'),
  abstract_summary: summary,
  questions: list(objectSchema({ question: text('The question asked.'), answer: text("The answer's gist."), timestamp }), 'Questions in the order asked.'),
  strengths: list(text('One sentence.'), 'Strengths the answers showed.'),
  concerns: list(text('One sentence.'), 'Concerns or gaps.'),
  action_items: actionItems,
});
