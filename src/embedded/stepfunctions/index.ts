/**
 * The embedded Step Functions: the `AWSStepFunctions.` route of the embedded endpoint (JSON 1.0).
 * gapwatch code never calls this directly; it talks to it through `@aws-sdk/client-sfn`, as to AWS.
 */
import type { ServiceRoute } from '../protocol';
import { EmbeddedStepFunctions, type StepFunctionsOptions } from './engine';
import { stepFunctionsHandler } from './handler';
import { JSON_10 } from './names';

export type { StepFunctionsOptions, TaskHandler } from './engine';

export function stepFunctionsRoute(opts: StepFunctionsOptions): ServiceRoute {
  const sfn = EmbeddedStepFunctions.open(opts);
  return {
    prefix: 'AWSStepFunctions.',
    signingName: 'states',
    contentType: JSON_10,
    handler: stepFunctionsHandler(sfn),
    drain: () => sfn.drain(),
  };
}
