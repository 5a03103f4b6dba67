/**
 * Minutes templates: extra instructions for a kind of meeting. A template is a name and a text; a
 * file given instead of a name is read as the instructions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** A kind of meeting and what its minutes should stress. */
export interface MinutesTemplate {
  name: string;
  description: string;
  /** Instructions added to the system prompt. */
  instructions: string;
}

/** The built-in templates, by name. */
export const MINUTES_TEMPLATES: readonly MinutesTemplate[] = [
  {
    name: 'general',
    description: 'any meeting',
    instructions: 'Write minutes a participant who missed the meeting could act on.',
  },
  {
    name: 'standup',
    description: 'daily stand-up: progress, plans and blockers per person',
    instructions:
      'This is a stand-up. Key points: one per person, "Name: done …; next …; blockers …" (only what they said). ' +
      'Every blocker someone offered to remove is an action item. Decisions are rare in a stand-up; list none unless one was made.',
  },
  {
    name: 'board',
    description: 'board or council meeting: motions, votes, resolutions',
    instructions:
      'This is a formal board or council meeting. Decisions are the motions and resolutions with their outcome ' +
      '(carried, failed, tabled) and any vote counts stated. Key points follow the agenda items in order. ' +
      'Action items include what staff or the clerk were directed to do.',
  },
  {
    name: 'retro',
    description: 'retrospective: what went well, what did not, what to change',
    instructions:
      'This is a retrospective. Key points: what went well and what did not, as the team said it. ' +
      'Decisions are the changes the team agreed to try. Action items are the concrete follow-ups.',
  },
];

/**
 * The template for `nameOrFile`: a built-in name, or a path to a text file of instructions.
 * Throws `ConfigError` naming the built-in templates otherwise.
 */
export function resolveTemplate(nameOrFile: string = 'general'): MinutesTemplate {
  const known = MINUTES_TEMPLATES.find((t) => t.name === nameOrFile);
  if (known) return known;
  if (existsSync(nameOrFile)) {
    const instructions = readFileSync(nameOrFile, 'utf8').trim();
    if (!instructions) throw new ConfigError('template', nameOrFile, `The template file ${nameOrFile} is empty.`);
    return { name: nameOrFile, description: `instructions from ${nameOrFile}`, instructions };
  }
  throw new ConfigError(
    'template',
    nameOrFile,
    `Unknown template "${nameOrFile}": use one of ${MINUTES_TEMPLATES.map((t) => t.name).join(', ')}, or the path of a file of instructions.`,
  );
}
