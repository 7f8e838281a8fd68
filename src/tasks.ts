/**
 * What both compositions of gapwatch build the same way: the service (backends.ts) and the Lambda
 * functions (lambda.ts) each make an Athena client with gapwatch's SDK settings, the gaps service over it,
 * and the pipeline's Task handlers with each dataset's repair action. Nothing here serves HTTP or GraphQL
 * or starts an embedded backend, so the Lambda bundle built from lambda.ts holds none of those.
 */
import path from 'node:path';
import { AthenaClient, type AthenaClientConfig } from '@aws-sdk/client-athena';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import type { PipelineSettings } from './settings';
import { AthenaService } from './services/athena/athena.service';
import { athenaProtocol } from './services/athena/protocol-check';
import { QueriesService } from './services/athena/queries.service';
import type { Clock } from './services/clock/clock';
import { FileCheckStore } from './services/gaps/check-store';
import { GapsService } from './services/gaps/gaps.service';
import type { TaskName } from './services/pipeline/definition';
import { createHandlers, type PipelineHandler } from './services/pipeline/handlers';
import { resolveRepairActions, type BuiltInRepair } from './services/pipeline/repair';

/**
 * SDK settings gapwatch adds on top of the SDK's own configuration. Throttling (ThrottlingException,
 * TooManyRequestsException) is absorbed here, once, by the SDK's adaptive retry strategy, which also slows
 * the client down while Athena pushes back. The protocol is the SDK's own with result rows left as parsed
 * (services/athena/protocol.ts), once a start-up check has found its assumptions about the SDK hold
 * (services/athena/protocol-check.ts).
 */
const ATHENA_CLIENT = { retryMode: 'adaptive', maxAttempts: 8 } as const;

/**
 * The Athena client: to real AWS through the SDK's own configuration (region, credential chain,
 * AWS_ENDPOINT_URL_ATHENA), or wherever `connection` points (the embedded endpoint).
 */
export async function createAthenaClient(logger: Logger, connection: AthenaClientConfig = {}): Promise<AthenaClient> {
  return new AthenaClient({ ...ATHENA_CLIENT, ...(await athenaProtocol(logger)), ...connection });
}

export interface TaskServices {
  athena: AthenaService;
  queries: QueriesService;
  gaps: GapsService;
  handlers: Record<TaskName, PipelineHandler>;
  /** Writes out kept checks and stops the Athena service; the client is its owner's to destroy. */
  close(): Promise<void>;
}

export interface TaskDeps {
  athenaClient: AthenaClient;
  settings: PipelineSettings;
  /** Check history, ready signals and series starts go under `<dataDir>/gaps`. */
  dataDir: string;
  /** The config file: module paths in `repair:` are relative to its folder. */
  configFile: string;
  allowRawSql: boolean;
  clock: Clock;
  logger: Logger;
  /** Repairs the backend brings (`repair: sample` on the embedded backend; none on AWS). */
  builtInRepairs: Readonly<Record<string, BuiltInRepair>>;
  /** Where large results are read from S3 (services/athena/result-file.ts); without, all through GetQueryResults. */
  s3?: { client: S3Client; logger?: Logger };
}

/** Builds the services the Tasks run on; a dataset's bad `repair:` is a ConfigError here, before any run. */
export function composeTasks(deps: TaskDeps): TaskServices {
  const { settings, clock } = deps;
  const athena = new AthenaService(deps.athenaClient, settings.athena, clock, Math.random, deps.s3);
  let repairs;
  try {
    repairs = resolveRepairActions(settings.datasets, {
      athena,
      defaultDatabase: settings.athena.database,
      baseDir: path.dirname(deps.configFile),
      builtIns: deps.builtInRepairs,
    });
  } catch (err) {
    athena.close();
    throw err;
  }
  const queries = new QueriesService(athena, settings.namedQueries, deps.allowRawSql);
  const gapsLogger = deps.logger.child({ component: 'gaps' });
  // Check history, ready signals and series starts outlive a restart (embedded and aws alike).
  const checkStore = new FileCheckStore(path.join(deps.dataDir, 'gaps'), gapsLogger);
  const gaps = new GapsService(athena, queries, settings.datasets, clock, gapsLogger, checkStore);
  return {
    athena,
    queries,
    gaps,
    handlers: createHandlers({ gaps, clock, repairs }),
    async close() {
      await checkStore.flush();
      athena.close();
    },
  };
}
