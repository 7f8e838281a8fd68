import { parseArgs } from 'node:util';
import { parseDuration } from '../services/time/duration';
import { INSTANT_FORMS, parseInstant as parseInstantText } from '../services/time/instant';
import { CliError, messageOf } from './errors';

export const USAGE = `Usage: gapwatch check --dataset NAME [window] [options]
       gapwatch credentials [--json]
       gapwatch reset-sample

check: checks one window of a dataset for gaps and exits 0 (OK), 1 (gaps found) or 2 (error).
reset-sample: puts the embedded sample table market.ticks in GAPWATCH_DATA_DIR back as first generated,
  planted defects and all (after a repair run fixed them); run it while no gapwatch uses the data dir.

Window (default: the dataset's checkWindow, ending at the last settled bucket boundary):
  --from ISO --to ISO   judge [from, to), e.g. --from 2024-03-04T00:00:00Z --to 2024-03-05T00:00:00Z
  --last DURATION       judge the DURATION (90m, 24h, 7d, 1h30m) before the last settled bucket boundary

Options:
  --dataset NAME        a dataset from the config file (required)
  --groups A,B          judge only these groups (each is then expected)
  --url URL             ask a running gapwatch (base URL or its /graphql endpoint) instead of
                        checking in-process on the configured backend
  --json                print the report as JSON instead of a table
  -h, --help            show this help

Environment (in-process only): GAPWATCH_CONFIG, GAPWATCH_BACKEND, GAPWATCH_DATA_DIR,
GAPWATCH_LOG_LEVEL (default warn; logs go to stderr), GAPWATCH_EMBEDDED_PORT (default 0).

credentials: prints the embedded AWS endpoint's key pair (kept in GAPWATCH_DATA_DIR, made there if
missing) as shell exports for the AWS CLI, which needs it when gapwatch has API keys:
  eval "$(gapwatch credentials)"; aws stepfunctions list-state-machines --endpoint-url http://127.0.0.1:4566
`;

/** Which window to judge; `last` and `default` are resolved against the dataset and the clock later. */
export type WindowSpec =
  | { readonly kind: 'range'; readonly from: number; readonly to: number }
  | { readonly kind: 'last'; readonly ms: number }
  | { readonly kind: 'default' };

export interface CheckArgs {
  readonly dataset: string;
  readonly window: WindowSpec;
  readonly groups?: readonly string[];
  /** The GraphQL endpoint of a running gapwatch; undefined = check in-process. */
  readonly url?: string;
  readonly json: boolean;
}

export type Command =
  | { readonly command: 'help' }
  | { readonly command: 'check'; readonly args: CheckArgs }
  | { readonly command: 'credentials'; readonly json: boolean }
  | { readonly command: 'reset-sample' };

const OPTIONS = {
  dataset: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  last: { type: 'string' },
  groups: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Epoch ms of an instant as the API reads one (services/time/instant.ts); a CliError naming the option otherwise. */
export function parseInstant(option: string, text: string): number {
  const ms = parseInstantText(text);
  if (ms === undefined) throw new CliError(`--${option}: expected ${INSTANT_FORMS}, got '${text}'`);
  return ms;
}

/** The GraphQL endpoint of a gapwatch URL: a base URL gets /graphql appended; one ending in /graphql is kept. */
export function graphqlEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--url: expected an http(s) URL such as http://localhost:4000, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--url: expected an http or https URL, got '${text}'`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/graphql') ? path : `${path}/graphql`;
  return url.toString();
}

function parseGroups(text: string): string[] {
  const groups = [...new Set(text.split(',').map((g) => g.trim()).filter((g) => g !== ''))];
  if (groups.length === 0) throw new CliError(`--groups: expected a comma-separated list such as AMZN,GOOG, got '${text}'`);
  return groups;
}

function parseWindow(values: { from?: string; to?: string; last?: string }): WindowSpec {
  const { from, to, last } = values;
  if (last !== undefined && (from !== undefined || to !== undefined)) {
    throw new CliError('--last cannot be combined with --from/--to: give one window or the other');
  }
  if (last !== undefined) {
    const ms = parseDuration(last);
    if (ms === undefined || ms <= 0) throw new CliError(`--last: expected a duration such as 90m, 24h or 7d, got '${last}'`);
    return { kind: 'last', ms };
  }
  if (from === undefined && to === undefined) return { kind: 'default' };
  if (from === undefined) throw new CliError('--to needs --from: give both ends of the window');
  if (to === undefined) throw new CliError('--from needs --to: give both ends of the window');
  return { kind: 'range', from: parseInstant('from', from), to: parseInstant('to', to) };
}

/** node:util's parse errors carry advice for a different audience; keep their first sentence, lower-cased. */
function parseError(err: unknown): CliError {
  const message = messageOf(err);
  const first = message.split(/\.\s/)[0]!.replace(/\.$/, '');
  return new CliError(first.charAt(0).toLowerCase() + first.slice(1), true);
}

/** Reads the command line (without `node` and the script). Pure: no environment, no clock. */
export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw parseError(err);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  const [command, ...rest] = positionals;
  if (command === undefined) throw new CliError('missing command: expected `gapwatch check --dataset NAME`', true);
  if (command !== 'check' && command !== 'credentials' && command !== 'reset-sample') {
    throw new CliError(`unknown command '${command}': expected check, credentials or reset-sample`, true);
  }
  if (rest.length > 0) throw new CliError(`unexpected argument '${rest[0]}'`, true);
  if (command === 'credentials') {
    const other = Object.keys(values).find((k) => k !== 'json');
    if (other !== undefined) throw new CliError(`credentials takes no --${other}: only --json`, true);
    return { command: 'credentials', json: values.json === true };
  }
  if (command === 'reset-sample') {
    const given = Object.keys(values);
    if (given.length > 0) throw new CliError(`reset-sample takes no options, got --${given[0]}`, true);
    return { command: 'reset-sample' };
  }
  if (values.dataset === undefined || values.dataset.trim() === '') throw new CliError('missing --dataset NAME: which dataset to check', true);
  return {
    command: 'check',
    args: {
      dataset: values.dataset.trim(),
      window: parseWindow(values),
      ...(values.groups !== undefined ? { groups: parseGroups(values.groups) } : {}),
      ...(values.url !== undefined ? { url: graphqlEndpoint(values.url) } : {}),
      json: values.json === true,
    },
  };
}
