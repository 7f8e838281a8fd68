/**
 * A Lambda function as a dataset's repair action (`repair: arn:aws:lambda:…`): invoked synchronously with
 * `{ range }`; a function error fails the attempt with the function's errorType and errorMessage. It uses
 * the SDK's own configuration. repair.ts requires this module only when such a repair first runs, so
 * nothing else loads the Lambda client (in the Lambda bundle it is a file of its own, compiled only then).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { RepairAction } from './repair';

export function lambdaRepair(functionArn: string): RepairAction {
  return async (range, { signal }) => {
    const client = new LambdaClient({});
    try {
      const out = await client.send(new InvokeCommand({ FunctionName: functionArn, Payload: Buffer.from(JSON.stringify({ range })) }), { abortSignal: signal });
      const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : 'null';
      if (out.FunctionError) {
        const body = JSON.parse(text) as { errorType?: string; errorMessage?: string };
        // The function's errorType is the Task error; without one, the Repair handler names it RepairFailed.
        throw Object.assign(new Error(body.errorMessage ?? out.FunctionError), body.errorType ? { name: body.errorType } : {});
      }
      return JSON.parse(text) as unknown;
    } finally {
      client.destroy();
    }
  };
}
