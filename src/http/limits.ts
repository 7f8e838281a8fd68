import { HeaderMap } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  Lexer,
  NoSchemaIntrospectionCustomRule,
  Source,
  TokenKind,
  type DocumentNode,
  type FieldNode,
  defaultFieldResolver,
  isObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { CodedError, ConfigError, ErrorCode, limitExceeded } from '../errors';
import { asGraphQLError } from './mask';
import { checkUse, windowProblem } from '../services/gaps/compute';
import { eventsCalls, listCalls } from '../services/pipeline/pipeline.service';
import type { Dataset } from '../services/gaps/dataset';
import type { Principal } from './access';

/**
 * Every bound on what one GraphQL operation may ask, in one place, for HTTP and WebSocket alike. Each hit is
 * a LIMIT_EXCEEDED error whose `extensions.limit` names the limit (as it is spelled in the config file's
 * `limits:` section) and `extensions.value` gives its value.
 */
export interface Limits {
  /** Cost of one operation (fields 1, lists × `first`, a gaps check and a started query far more). */
  maxCost: number;
  /** Aliased fields per operation: aliases are how one request asks for the same costly field many times. */
  maxAliases: number;
  /** Nesting of selections. */
  maxDepth: number;
  /** Lexical tokens in a document, counted before it is parsed. */
  maxTokens: number;
  /** Entries of `gaps(groups:)`. */
  maxGroups: number;
  /**
   * Buckets × groups one `gaps` check judged bucket by bucket in the service may judge: a check with `series`, or
   * of a wide dataset. A check judged in Athena is bounded by its dataset's maxCheckWindow instead.
   */
  maxCheckCells: number;
  /** Buckets × groups one `gaps { series }` may return (each cell is an object in the response). */
  maxSeriesCells: number;
  /** Operations per minute per API key (HTTP requests and subscriptions alike); 0 turns it off. */
  rateLimitPerMinute: number;
  /** Subscriptions open at once on one WebSocket connection. */
  maxSubscriptionsPerConnection: number;
  /** Bytes waiting to be sent on one WebSocket before the subscription feeding it is ended (a client that stopped reading). */
  maxSocketBufferBytes: number;
  /** Bytes of run event details (`RunEvent.detail`) one query response carries; past them, details are truncated. */
  maxEventDetailBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxCost: 20_000,
  maxAliases: 20,
  maxDepth: 12,
  maxTokens: 2_000,
  maxGroups: 500,
  maxCheckCells: 2_000_000,
  maxSeriesCells: 100_000,
  rateLimitPerMinute: 1_200,
  maxSubscriptionsPerConnection: 20,
  maxSocketBufferBytes: 4 * 1024 * 1024,
  maxEventDetailBytes: 4 * 1024 * 1024,
};

/** One Step Functions call, in cost: a run described, a page of its history read, a listing page. */
const SFN_CALL = 10;

/**
 * What one field costs on top of its selections, as a number or from the field's arguments. A check runs an
 * Athena query and judges every bucket; a started query is billed by bytes scanned; health asks every
 * backend; stopping a query calls Athena; a pipeline run is at least a check; reading runs costs the Step
 * Functions calls the resolver makes for those arguments (pipeline.service.ts says how many).
 */
const FIELD_COSTS: Readonly<Record<string, number | ((args: Record<string, unknown>) => number)>> = {
  'Query.gaps': 2_000,
  'Mutation.runQuery': 2_000,
  'Mutation.runSql': 2_000,
  'Mutation.stopQuery': 100,
  'Query.health': 50,
  // A pipeline run checks (and may repair) a whole window; stopping one and reading a history call Step Functions.
  'Mutation.startCheck': 2_000,
  'Mutation.startRepair': 2_000,
  'Mutation.startValidation': 2_000,
  'Mutation.stopRun': 100,
  'Query.run': SFN_CALL,
  'Query.runs': (args) => SFN_CALL * listCalls(typeof args.first === 'number' ? args.first : 1, typeof args.dataset === 'string'),
  'PipelineRun.events': (args) => SFN_CALL * eventsCalls(typeof args.first === 'number' ? args.first : 1, typeof args.after === 'string' ? args.after : undefined),
  'PipelineRun.currentState': SFN_CALL,
  'Query.pipeline': SFN_CALL,
};

/** List arguments that multiply what a field's selections cost, capped where the resolver caps them. */
const MULTIPLIERS: readonly { arg: string; cap: number }[] = [
  { arg: 'first', cap: 1_000 },
  { arg: 'ids', cap: 10_000 },
];

/** The `limits:` section of the config file: any of the keys above, each a whole number ≥ 0. */
export function parseLimits(raw: unknown): Limits {
  if (raw === undefined || raw === null) return { ...DEFAULT_LIMITS };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('limits: expected a mapping of limit names to numbers');
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(raw)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, key)) {
      throw new ConfigError(`limits.${key}: unknown limit; expected one of ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || (value === 0 && key !== 'rateLimitPerMinute')) {
      throw new ConfigError(`limits.${key}: expected a whole number ≥ ${key === 'rateLimitPerMinute' ? 0 : 1}, got ${JSON.stringify(value)}`);
    }
    limits[key as keyof Limits] = value;
  }
  return limits;
}

/**
 * Counts tokens before anything is parsed, so a huge document is refused at the cost of lexing the first
 * `maxTokens` of it. (graphql-armor's token rule re-parses inside Apollo's parsing hook, where a rejection
 * surfaces as an unexpected error; counting with graphql's own lexer here gives the same limit on both
 * transports.) A lexing error is left for the parser to report.
 */
export function screenSource(query: unknown, limits: Limits): void {
  if (typeof query !== 'string') return;
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++count > limits.maxTokens) {
        throw limitExceeded('maxTokens', limits.maxTokens, `the document has more than ${limits.maxTokens} tokens`);
      }
    }
  } catch (err) {
    if (err instanceof CodedError) throw err;
  }
}

/** Validation rules added to graphql's own, for both transports: armor's alias and depth bounds. */
export function validationRules(limits: Limits, introspection: boolean): ValidationRule[] {
  const reject = (limit: keyof Limits) => [
    (ctx: { reportError(e: GraphQLError): void } | null, error: GraphQLError) => {
      ctx?.reportError(asGraphQLError(limitExceeded(limit, limits[limit], error.message.replace(/^Syntax Error: /, ''))));
    },
  ];
  const { validationRules: armorRules } = new ApolloArmor({
    maxAliases: { n: limits.maxAliases, onReject: reject('maxAliases'), propagateOnRejection: false },
    maxDepth: { n: limits.maxDepth, flattenFragments: true, onReject: reject('maxDepth'), propagateOnRejection: false },
    // Directives are not used by gapwatch's API; armor's default bound (50) stays.
    // Cost and tokens are bounded below and in screenSource (see there); suggestions are masked in maskError.
    costLimit: { enabled: false },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return introspection ? armorRules : [...armorRules, NoSchemaIntrospectionCustomRule];
}

/** Whether `field` is selected directly in this selection set (through fragments too). */
function selects(set: SelectionSetNode | undefined, field: string, document: DocumentNode): boolean {
  if (!set) return false;
  return set.selections.some((s) => {
    if (s.kind === 'Field') return s.name.value === field;
    if (s.kind === 'InlineFragment') return selects(s.selectionSet, field, document);
    const fragment = document.definitions.find((d) => d.kind === 'FragmentDefinition' && d.name.value === s.name.value);
    return fragment?.kind === 'FragmentDefinition' && selects(fragment.selectionSet, field, document);
  });
}

/**
 * Refuses a `gaps` check whose size is over the bounds before it runs; returns its cost otherwise: what the
 * service does for it. Judged bucket by bucket in the service (series, a wide dataset), that is buckets × groups;
 * judged in Athena, one grid of the window's buckets, whatever the groups (the facts that come back grow with
 * the gaps, which are not known before).
 */
function gapsCost(args: Record<string, unknown>, node: FieldNode, document: DocumentNode, limits: Limits, dataset: (name: string) => Dataset | undefined): number {
  const groups = Array.isArray(args.groups) ? new Set(args.groups).size : 0;
  if (Array.isArray(args.groups) && args.groups.length > limits.maxGroups) {
    throw limitExceeded('maxGroups', limits.maxGroups, `groups lists ${args.groups.length} names`);
  }
  const d = typeof args.dataset === 'string' ? dataset(args.dataset) : undefined;
  const from = args.from instanceof Date ? args.from.getTime() : NaN;
  const to = args.to instanceof Date ? args.to.getTime() : NaN;
  const series = selects(node.selectionSet, 'series', document);
  const use = d === undefined ? 'buckets' : checkUse(d, series);
  // An unknown dataset or a window the dataset cannot judge (outside the SQL range, reversed, over maxWindow or
  // maxCheckWindow) is the resolver's to refuse as BAD_USER_INPUT naming the argument: asked with the gaps
  // service's own rule, so a bad window is reported as bad input rather than as a check too big to run.
  if (!d || windowProblem(d, from, to, use) !== undefined) return 0;
  // +1: the window is aligned outward to bucket boundaries.
  const buckets = Math.ceil((to - from) / d.bucketMs) + 1;
  if (use === 'athena') return Math.ceil(buckets / 1_000);
  // Groups the check will judge, as far as they are known before it runs: the asked-for list, else the
  // configured one; a dataset that judges "every group seen" counts as one here.
  const cells = buckets * Math.max(groups || d.groups?.length || 1, 1);
  if (cells > limits.maxCheckCells) {
    throw limitExceeded('maxCheckCells', limits.maxCheckCells, `this check would judge ${cells} buckets × groups in the service; narrow the window or the groups${series && d.shape === 'long' ? ', or leave series out (then Athena judges it)' : ''}`);
  }
  if (cells > limits.maxSeriesCells && series) {
    throw limitExceeded('maxSeriesCells', limits.maxSeriesCells, `series would return ${cells} buckets × groups; narrow the window or the groups, or leave series out`);
  }
  return Math.ceil(cells / 1_000);
}

/**
 * The series bound once the groups are known. Up front (gapsCost) a dataset that judges "every group seen"
 * counts as one group; the rows may hold many more. This wraps `GapReport.series` so a series over the bound
 * is refused when it is read, before a single bucket of it is serialised: the check itself has run (and is
 * kept in history), only the oversized answer is not sent.
 */
export function boundSeries(schema: GraphQLSchema, limits: Limits): void {
  const type = schema.getType('GapReport');
  const field = isObjectType(type) ? type.getFields().series : undefined;
  if (!field) return;
  const resolve = field.resolve ?? defaultFieldResolver;
  field.resolve = async (source, args, context, info) => {
    const series = (await resolve(source, args, context, info)) as readonly { buckets: readonly unknown[] }[] | null | undefined;
    let cells = 0;
    for (const group of series ?? []) cells += group.buckets.length;
    if (cells > limits.maxSeriesCells) {
      throw limitExceeded('maxSeriesCells', limits.maxSeriesCells, `series would return ${cells} buckets × groups (${series!.length} groups seen); narrow the window, name the groups, or leave series out`);
    }
    return series;
  };
}

/**
 * The bytes of run event details one query response carries. A run's history holds up to 25,000 events,
 * each with up to 256 KiB of state data, so `run { events(first: 1000) { edges { node { detail } } } }`
 * could be hundreds of MB in one response. Past `maxEventDetailBytes` in a response, each further detail
 * keeps its small members (name, error, resource…) and loses its large ones (input, output, parameters,
 * cause…), each marked as AWS marks what it truncates, `<member>Details: { truncated: true }`, with the
 * limit named. Subscriptions carry one event a message and are left whole.
 */
export function boundEventDetails(schema: GraphQLSchema, limits: Limits): void {
  const type = schema.getType('RunEvent');
  const field = isObjectType(type) ? type.getFields().detail : undefined;
  if (!field) return;
  const resolve = field.resolve ?? defaultFieldResolver;
  const used = new WeakMap<object, { bytes: number }>();
  field.resolve = async (source, args, context, info) => {
    const detail = (await resolve(source, args, context, info)) as Record<string, unknown> | null | undefined;
    if (!detail || info.operation.operation === 'subscription' || typeof context !== 'object' || context === null) return detail;
    let budget = used.get(context);
    if (!budget) used.set(context, (budget = { bytes: 0 }));
    const size = Buffer.byteLength(JSON.stringify(detail));
    if (budget.bytes + size <= limits.maxEventDetailBytes) {
      budget.bytes += size;
      return detail;
    }
    const dropped = new Set(Object.keys(detail).filter((key) => typeof detail[key] === 'string' && (detail[key] as string).length > TRUNCATED_MEMBER_CHARS));
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(detail)) {
      if (!dropped.has(key) && !(key.endsWith('Details') && dropped.has(key.slice(0, -'Details'.length)))) kept[key] = value;
    }
    for (const key of dropped) {
      kept[`${key}Details`] = { truncated: true, limit: 'maxEventDetailBytes', value: limits.maxEventDetailBytes, bytes: Buffer.byteLength(detail[key] as string) };
    }
    budget.bytes += Buffer.byteLength(JSON.stringify(kept));
    return kept;
  };
}

/** A detail member longer than this is dropped from a truncated detail. */
const TRUNCATED_MEMBER_CHARS = 256;

/**
 * Per-key token bucket: `rateLimitPerMinute` operations, refilled continuously. Keys are few (configured),
 * so the map stays small.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {}

  take(id: string): void {
    if (this.perMinute === 0) return;
    const now = this.now();
    const b = this.buckets.get(id) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + ((now - b.at) * this.perMinute) / 60_000);
    b.at = now;
    this.buckets.set(id, b);
    if (b.tokens < 1) {
      throw limitExceeded('rateLimitPerMinute', this.perMinute, `key '${id}' sent more than ${this.perMinute} operations in the last minute; retry later`);
    }
    b.tokens -= 1;
  }
}

/**
 * The checks every operation passes after it is parsed and validated and before it runs, whichever the
 * transport: the caller's role, its rate, and the operation's cost.
 */
export class OperationGate {
  private readonly rate: RateLimiter;

  constructor(
    private readonly schema: GraphQLSchema,
    readonly limits: Limits,
    private readonly dataset: (name: string) => Dataset | undefined,
    now: () => number,
  ) {
    this.rate = new RateLimiter(limits.rateLimitPerMinute, now);
  }

  check(principal: Principal, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): void {
    if (operation.operation === 'mutation' && principal.role !== 'operator') {
      throw new CodedError(ErrorCode.FORBIDDEN, `key '${principal.id}' has role ${principal.role}; mutations need role operator`);
    }
    this.admit(principal);
    const estimator: ComplexityEstimator = ({ type, field, node, args, childComplexity }) => {
      const coordinate = `${type.name}.${field.name}`;
      const listed = FIELD_COSTS[coordinate] ?? 1;
      const base = typeof listed === 'function' ? listed(args) : listed;
      const own = coordinate === 'Query.gaps' ? base + gapsCost(args, node, document, this.limits, this.dataset) : base;
      let times = 1;
      for (const { arg, cap } of MULTIPLIERS) {
        const v = args[arg];
        const n = typeof v === 'number' ? v : Array.isArray(v) ? v.length : 1;
        times = Math.max(times, Math.min(Math.max(n, 1), cap));
      }
      return own + childComplexity * times;
    };
    let cost: number;
    try {
      cost = getComplexity({ schema: this.schema, query: document, variables, operationName: operation.name?.value, estimators: [estimator] });
    } catch (err) {
      if (err instanceof CodedError) throw err;
      // Variables that do not coerce: execution reports them with graphql's own message.
      return;
    }
    if (cost > this.limits.maxCost) {
      throw limitExceeded('maxCost', this.limits.maxCost, `this operation costs ${cost}`);
    }
  }

  /** The caller's rate, for a request that is not a GraphQL operation but counts as one (GET /results). */
  admit(principal: Principal): void {
    this.rate.take(principal.id);
  }
}

/** Seconds until the rate limit lets a caller's next operation through: the bucket refills one every 60 / limit seconds. */
export function retryAfterSeconds(err: CodedError): string {
  return String(Math.max(1, Math.ceil(60 / Number(err.extensions.value))));
}

/**
 * A gate refusal as Apollo needs it from a plugin hook: Apollo answers HTTP 500 to a hook error that
 * carries no status, so the coded error travels inside one that says 400 (429 for the rate limit).
 * maskError unwraps it to the coded error itself.
 */
export function forApollo(err: CodedError): GraphQLError {
  if (err.extensions.limit === 'rateLimitPerMinute') {
    const retryAfter = retryAfterSeconds(err);
    return asGraphQLError(err, { ...err.extensions, http: { status: 429, headers: new HeaderMap([['retry-after', retryAfter]]) } });
  }
  const status = err.code === ErrorCode.FORBIDDEN ? 403 : 400;
  return asGraphQLError(err, { ...err.extensions, http: { status } });
}
