/**
 * Minutes templates. A template is a schema, a layout and instructions: the JSON schema is what the
 * chat model must fill (structured outputs) and what the minutes JSON holds; the layout says which
 * of its fields become which section of the Markdown, HTML and DOCX (derived from the schema when
 * not given); the instructions are added to the system prompt. A user template is a JSON file with
 * the same three parts (see README, "Minutes templates"); a plain text file is read as instructions
 * for the `general` schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { COUNCIL_SCHEMA, GENERAL_SCHEMA, INTERVIEW_SCHEMA, ONE_ON_ONE_SCHEMA, RETRO_SCHEMA, STANDUP_SCHEMA, objectSchema, type JsonSchema } from './template-schemas.js';
import { deriveLayout, checkLayout, type LayoutSection } from './template-layout.js';

export type { JsonSchema } from './template-schemas.js';
export type { LayoutSection, LayoutColumn } from './template-layout.js';

/** A kind of meeting: what its minutes hold, how they are laid out, and what the model is told. */
export interface MinutesTemplate {
  name: string;
  description: string;
  /** Instructions added to the system prompt. */
  instructions: string;
  /** The JSON schema of the minutes (an object schema, strict-mode ready). */
  schema: JsonSchema;
  /** The sections of the Markdown, HTML and DOCX, in order. */
  layout: LayoutSection[];
}

const COUNCIL_INSTRUCTIONS =
  'This is a formal meeting of a public body. Record it as minutes of record: the date, time and place only as stated; ' +
  'attendance from the roll call (present and absent/excused); the agenda items in the order taken up; every motion put to a vote ' +
  '(approving minutes, suspending the rules, passage or adoption of an item, adjournment), with mover and seconder only when named, ' +
  'the tally only when counted aloud, and the result as announced ("the ayes have it" is carried). Public comment is summarised in ' +
  'public_comment and never yields action items or decisions. Action items are what staff, the clerk or members were directed to do.';

function builtIn(name: string, description: string, instructions: string, schema: JsonSchema): MinutesTemplate {
  return { name, description, instructions, schema, layout: deriveLayout(schema) };
}

/** The built-in templates, by name. */
export const MINUTES_TEMPLATES: readonly MinutesTemplate[] = [
  builtIn('general', 'any meeting', 'Write minutes a participant who missed the meeting could act on.', GENERAL_SCHEMA),
  builtIn('council', 'city council or other public body: roll call, agenda, motions and votes, public comment', COUNCIL_INSTRUCTIONS, COUNCIL_SCHEMA),
  builtIn('board', 'board meeting: attendance, agenda, motions and resolutions with their votes', COUNCIL_INSTRUCTIONS.replace('of a public body', 'of a board'), COUNCIL_SCHEMA),
  builtIn(
    'standup',
    'daily stand-up: per person yesterday, today and blockers',
    'This is a stand-up. One update per person with what they did, what they will do and what blocks them — only what they said. Every blocker someone offered to remove is an action item.',
    STANDUP_SCHEMA,
  ),
  builtIn('retro', 'retrospective: what went well, what did not, what to change', 'This is a retrospective. Decisions are the changes the team agreed to try; action items are the concrete follow-ups.', RETRO_SCHEMA),
  builtIn('one-on-one', 'one-on-one: topics, feedback, follow-ups', 'This is a one-on-one between two people. Keep feedback factual and attributed; list only follow-ups someone agreed to.', ONE_ON_ONE_SCHEMA),
  builtIn('interview', 'interview: questions, answers, strengths and concerns', 'This is an interview. Record the questions in order and the gist of each answer; strengths and concerns only as the answers support them.', INTERVIEW_SCHEMA),
];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A user schema made strict-mode ready: objects allow no extra properties and require them all. */
function strict(node: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...node };
  if (isRecord(node.properties)) {
    const props = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, strict(isRecord(v) ? v : {})]));
    return { ...objectSchema(props), ...(typeof node.description === 'string' ? { description: node.description } : {}) };
  }
  if (isRecord(node.items)) out.items = strict(node.items);
  return out;
}

/** A template from a user's JSON file (see README); throws `ConfigError` naming what is wrong. */
function templateFromJson(file: string, value: unknown): MinutesTemplate {
  const bad = (what: string) => new ConfigError('template', file, `The template file ${file} ${what} (see README, "Minutes templates").`);
  if (!isRecord(value)) throw bad('is not a JSON object');
  const instructions = typeof value.instructions === 'string' ? value.instructions.trim() : '';
  if (value.schema !== undefined && !(isRecord(value.schema) && isRecord(value.schema.properties) && Object.keys(value.schema.properties).length > 0)) {
    throw bad('has a "schema" that is not an object schema with "properties"');
  }
  const schema = value.schema === undefined ? GENERAL_SCHEMA : strict(value.schema as JsonSchema);
  let layout: LayoutSection[];
  try {
    layout = value.layout === undefined ? deriveLayout(schema) : checkLayout(value.layout, schema);
  } catch (err) {
    throw new ConfigError('template', file, `The template file ${file} has a bad "layout": ${(err as Error).message}.`, { cause: err });
  }
  if (!instructions && value.schema === undefined) throw bad('has neither "instructions" nor "schema"');
  const name = typeof value.name === 'string' && value.name.trim() ? value.name.trim() : file;
  const description = typeof value.description === 'string' ? value.description : `template from ${file}`;
  return { name, description, instructions, schema, layout };
}

/**
 * The template for `nameOrFile`: a built-in name, a JSON template file, or a text file of
 * instructions (for the `general` schema). Throws `ConfigError` naming the built-in templates otherwise.
 */
export function resolveTemplate(nameOrFile: string = 'general'): MinutesTemplate {
  const known = MINUTES_TEMPLATES.find((t) => t.name === nameOrFile);
  if (known) return known;
  if (existsSync(nameOrFile)) {
    const body = readFileSync(nameOrFile, 'utf8').trim();
    if (!body) throw new ConfigError('template', nameOrFile, `The template file ${nameOrFile} is empty.`);
    if (body.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch (err) {
        throw new ConfigError('template', nameOrFile, `The template file ${nameOrFile} is not valid JSON: ${(err as Error).message}.`, { cause: err });
      }
      return templateFromJson(nameOrFile, parsed);
    }
    return { ...MINUTES_TEMPLATES[0]!, name: nameOrFile, description: `instructions from ${nameOrFile}`, instructions: body };
  }
  throw new ConfigError(
    'template',
    nameOrFile,
    `Unknown template "${nameOrFile}": use one of ${MINUTES_TEMPLATES.map((t) => t.name).join(', ')}, or the path of a template file (JSON, or text of instructions).`,
  );
}
