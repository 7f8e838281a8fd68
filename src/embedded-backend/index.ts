/**
 * The embedded backend as the service wires it: the embedded AWS endpoint on its own worker thread (DuckDB
 * behind Athena's API, the ASL interpreter behind Step Functions'), what the service's SDK clients need to
 * reach it, and the repairs only this backend has (`repair: sample`). backends.ts loads this module only
 * when GAPWATCH_BACKEND=embedded: an aws-mode service loads neither DuckDB nor aws-local-stepfunctions.
 */
import type { EnvConfig } from '../config';
import { embeddedKeyPair } from '../embedded/credentials';
import type { EmbeddedEndpoint, EmbeddedTable, StepFunctionsOptions } from '../embedded/server';
import type { KeyPair } from '../embedded/sigv4';
import { startEmbeddedWorker } from '../embedded/worker-host';
import type { Logger } from '../logger';
import type { BuiltInRepair } from '../services/pipeline/repair';
import { sampleTicksRepair } from './sample-repair';

export interface EmbeddedBackend {
  endpoint: EmbeddedEndpoint;
  /** Where and how the service's SDK clients reach the endpoint: its URL, and the key pair they sign with. */
  connection: { endpoint: string; region: string; credentials: KeyPair };
  builtInRepairs: Readonly<Record<string, BuiltInRepair>>;
}

export interface EmbeddedBackendOptions {
  env: EnvConfig;
  tables: EmbeddedTable[];
  /** Athena workgroups that exist besides `primary`. */
  workGroups: readonly string[];
  region: string;
  logger: Logger;
  /** The pipeline's Task handlers (in this thread) and machines, when the service serves the pipeline. */
  stepFunctions?: Pick<StepFunctionsOptions, 'taskHandlers' | 'stateMachines'>;
  /** The endpoint's worker died more often than it is restarted (worker-host.ts). */
  onFatal?: (err: Error) => void;
}

export async function startEmbeddedBackend(options: EmbeddedBackendOptions): Promise<EmbeddedBackend> {
  const { env, region, logger } = options;
  // The embedded endpoint's key pair, which the service's own clients sign with (embedded/credentials.ts).
  const keyPair = embeddedKeyPair(env.dataDir);
  // On its own thread, so GraphQL never waits on the endpoint's work (embedded/worker-host.ts).
  const endpoint = await startEmbeddedWorker({
    port: env.embeddedPort,
    host: '127.0.0.1',
    dataDir: env.dataDir,
    ...(env.embeddedHeapMiB ? { heapLimitMiB: env.embeddedHeapMiB } : {}),
    ...(options.onFatal ? { onGiveUp: options.onFatal } : {}),
    tables: options.tables,
    workGroups: options.workGroups,
    logger: logger.child({ component: 'embedded' }),
    // With API keys, whoever calls the endpoint must sign with the pair: another process on the machine
    // must not start, stop or forge pipeline runs past the keys. Without, loopback development as ever.
    ...(env.access.keys.length > 0 ? { auth: { region, keys: [keyPair] } } : {}),
    ...(options.stepFunctions
      ? { stepFunctions: { dataDir: env.dataDir, region, logger: logger.child({ component: 'stepfunctions' }), ...options.stepFunctions } }
      : {}),
  });
  logger.info({ endpoint: endpoint.url }, 'embedded AWS endpoint (Athena on DuckDB) is listening');
  return {
    endpoint,
    connection: { endpoint: endpoint.url, region, credentials: keyPair },
    // Made-up ticks only ever go into the embedded sample: on AWS `repair: sample` is refused.
    builtInRepairs: { sample: sampleTicksRepair },
  };
}
