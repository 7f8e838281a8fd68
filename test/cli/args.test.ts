import { graphqlEndpoint, parseCommand, parseInstant } from '../../src/cli/args';
import { CliError } from '../../src/cli/errors';

/** The message (and whether usage is suggested) that parsing argv fails with. */
function failure(argv: string[]): { message: string; showUsage: boolean } {
  try {
    parseCommand(argv);
  } catch (err) {
    if (err instanceof CliError) return { message: err.message, showUsage: err.showUsage };
    throw err;
  }
  throw new Error(`expected ${argv.join(' ')} to fail`);
}

describe('gapwatch command line', () => {
  it('reads a check over an explicit window, with groups, a URL and --json', () => {
    expect(
      parseCommand(['check', '--dataset', 'stock_ticks', '--from', '2024-03-04T00:00:00Z', '--to', '2024-03-05', '--groups', 'AMZN, GOOG,,AMZN', '--url', 'http://localhost:4000', '--json']),
    ).toStrictEqual({
      command: 'check',
      args: {
        dataset: 'stock_ticks',
        window: { kind: 'range', from: Date.parse('2024-03-04T00:00:00Z'), to: Date.parse('2024-03-05T00:00:00Z') },
        groups: ['AMZN', 'GOOG'],
        url: 'http://localhost:4000/graphql',
        json: true,
      },
    });
  });

  it('reads --last as a duration, and no window as the dataset default', () => {
    expect(parseCommand(['check', '--dataset=d', '--last', '1h30m'])).toStrictEqual({
      command: 'check',
      args: { dataset: 'd', window: { kind: 'last', ms: 5_400_000 }, json: false },
    });
    expect(parseCommand(['check', '--dataset', 'd'])).toStrictEqual({ command: 'check', args: { dataset: 'd', window: { kind: 'default' }, json: false } });
  });

  it('answers --help and -h anywhere', () => {
    expect(parseCommand(['--help'])).toStrictEqual({ command: 'help' });
    expect(parseCommand(['check', '-h'])).toStrictEqual({ command: 'help' });
  });

  it('names what is wrong with the arguments', () => {
    expect(failure([])).toStrictEqual({ message: 'missing command: expected `gapwatch check --dataset NAME`', showUsage: true });
    expect(failure(['chek'])).toStrictEqual({ message: "unknown command 'chek': expected check, credentials or reset-sample", showUsage: true });
    expect(failure(['check'])).toStrictEqual({ message: 'missing --dataset NAME: which dataset to check', showUsage: true });
    expect(failure(['check', '--dataset', 'd', 'extra'])).toStrictEqual({ message: "unexpected argument 'extra'", showUsage: true });
    expect(failure(['check', '--dataset', 'd', '--bogus'])).toStrictEqual({ message: "unknown option '--bogus'", showUsage: true });
    expect(failure(['check', '--dataset'])).toStrictEqual({ message: "option '--dataset <value>' argument missing", showUsage: true });
    expect(failure(['check', '--dataset', 'd', '--from', '2024-03-04T00:00:00Z'])).toStrictEqual({
      message: '--from needs --to: give both ends of the window',
      showUsage: false,
    });
    expect(failure(['check', '--dataset', 'd', '--to', '2024-03-04T00:00:00Z'])).toStrictEqual({
      message: '--to needs --from: give both ends of the window',
      showUsage: false,
    });
    expect(failure(['check', '--dataset', 'd', '--last', '24h', '--from', '2024-03-04'])).toStrictEqual({
      message: '--last cannot be combined with --from/--to: give one window or the other',
      showUsage: false,
    });
    expect(failure(['check', '--dataset', 'd', '--last', '24 hours'])).toStrictEqual({
      message: "--last: expected a duration such as 90m, 24h or 7d, got '24 hours'",
      showUsage: false,
    });
    expect(failure(['check', '--dataset', 'd', '--last', '0h']).message).toBe("--last: expected a duration such as 90m, 24h or 7d, got '0h'");
    expect(failure(['check', '--dataset', 'd', '--groups', ' , '])).toStrictEqual({
      message: "--groups: expected a comma-separated list such as AMZN,GOOG, got ' , '",
      showUsage: false,
    });
  });

  it('takes ISO-8601 instants with a zone, or dates at midnight UTC, and nothing looser', () => {
    expect(parseInstant('from', '2024-03-04T00:30:00+01:00')).toBe(Date.parse('2024-03-03T23:30:00Z'));
    expect(parseInstant('from', '2024-03-04T00:00:00.5Z')).toBe(Date.parse('2024-03-04T00:00:00.500Z'));
    expect(parseInstant('from', '2024-03-04T10:15Z')).toBe(Date.parse('2024-03-04T10:15:00Z'));
    expect(parseInstant('from', '2024-02-29')).toBe(Date.parse('2024-02-29T00:00:00Z'));
    for (const bad of ['yesterday', 'March 4 2024', '2024-03-04T00:00:00', '2024-02-30T00:00:00Z', '2023-02-29', '2024-13-01', '1709510400000']) {
      expect(() => parseInstant('to', bad)).toThrow(
        new CliError(`--to: expected an ISO-8601 instant with a zone such as 2024-03-04T00:00:00Z (or a date, 2024-03-04, meaning midnight UTC), got '${bad}'`),
      );
    }
  });

  it('accepts a base URL or the /graphql endpoint itself', () => {
    expect(graphqlEndpoint('http://localhost:4000')).toBe('http://localhost:4000/graphql');
    expect(graphqlEndpoint('http://localhost:4000/')).toBe('http://localhost:4000/graphql');
    expect(graphqlEndpoint('https://ops.example.com/gapwatch/')).toBe('https://ops.example.com/gapwatch/graphql');
    expect(graphqlEndpoint('http://localhost:4000/graphql')).toBe('http://localhost:4000/graphql');
    expect(graphqlEndpoint('http://localhost:4000/graphql/')).toBe('http://localhost:4000/graphql');
    expect(() => graphqlEndpoint('localhost:4000')).toThrow(new CliError("--url: expected an http or https URL, got 'localhost:4000'"));
    expect(() => graphqlEndpoint('not a url')).toThrow(new CliError("--url: expected an http(s) URL such as http://localhost:4000, got 'not a url'"));
  });
});
