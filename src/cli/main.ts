import type { Env } from '../config';
import { parseCommand, USAGE, type CheckArgs } from './args';
import { CliError, ExitCode, oneLine } from './errors';
import { formatTable, type CliReport } from './report';

/** Where the CLI reads and writes: the process by default, so `main` can be driven without one. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Env;
  now(): number;
}

async function check(args: CheckArgs, io: CliIo): Promise<CliReport> {
  if (args.url !== undefined) {
    const { checkRemote } = await import('./remote.js');
    // A server with API keys wants one: GAPWATCH_API_KEY, sent as a bearer token (never on the command line,
    // where other users of the machine and CI logs would see it).
    const key = io.env.GAPWATCH_API_KEY;
    const fetchFn: typeof fetch = key
      ? (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${key}` } })
      : fetch;
    return checkRemote({ ...args, url: args.url }, io.now(), fetchFn);
  }
  // Loaded only here: the SDK and DuckDB are not needed to ask a server over --url.
  const { checkLocal } = await import('./local.js');
  return checkLocal(args, io.env, io.now());
}

/** `gapwatch <argv>`: writes the report or one error line, and resolves with the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  try {
    const command = parseCommand(argv);
    if (command.command === 'help') {
      io.stdout.write(USAGE);
      return ExitCode.OK;
    }
    if (command.command === 'credentials') {
      const { credentials } = await import('./credentials.js');
      io.stdout.write(credentials(io.env, command.json));
      return ExitCode.OK;
    }
    if (command.command === 'reset-sample') {
      const { resetSampleLocal } = await import('./local.js');
      io.stdout.write(`gapwatch: ${await resetSampleLocal(io.env)}\n`);
      return ExitCode.OK;
    }
    const report = await check(command.args, io);
    io.stdout.write(command.args.json ? `${JSON.stringify(report, null, 2)}\n` : formatTable(report));
    return report.status === 'OK' ? ExitCode.OK : ExitCode.GAPS;
  } catch (err) {
    if (err instanceof CliError) {
      // One line, so a CI log's last line is the whole story.
      io.stderr.write(`gapwatch: ${err.message}${err.showUsage ? ' (see gapwatch check --help)' : ''}\n`);
    } else {
      // Not foreseen, so name the kind too: still one line, since a CI log reader needs the what, not the where.
      const name = (err as { name?: unknown } | null | undefined)?.name;
      io.stderr.write(`gapwatch: unexpected ${typeof name === 'string' ? name : 'error'}: ${oneLine(err)}\n`);
    }
    return ExitCode.ERROR;
  }
}

/**
 * The bin's entry: runs `main` on the process, then exits once stdout has drained. Exiting explicitly
 * matters for a CI step: a driver handle left open must not turn a finished check into a hung job.
 */
export function run(argv: readonly string[] = process.argv.slice(2)): void {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, now: Date.now };
  void main(argv, io).then((code) => {
    // Writes to a pipe are asynchronous: an empty write's callback fires after everything before it is out.
    process.stdout.write('', () => process.exit(code));
  });
}
