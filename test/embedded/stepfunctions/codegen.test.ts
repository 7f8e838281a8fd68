/**
 * A hardened deployment runs node with --disallow-code-generation-from-strings. The interpreter's own
 * definition validation (ajv) needs `new Function`; the embedded Step Functions must still start, refuse
 * broken definitions with its structural checks, and run executions.
 */
import { CreateStateMachineCommand, ListStateMachinesCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { tempDir } from '../helpers';
import { MACHINE_ARN, sfnClient, spawnEndpoint, waitForEnd } from './helpers';

it('serves Step Functions under node --disallow-code-generation-from-strings', async () => {
  const dir = tempDir('gapwatch-sfn-nocodegen-');
  const { child, url, stderr } = await spawnEndpoint(dir.path, ['--disallow-code-generation-from-strings']);
  const client = sfnClient(url);
  try {
    expect((await client.send(new ListStateMachinesCommand({}))).stateMachines!.map((m) => m.stateMachineArn)).toStrictEqual([MACHINE_ARN]);
    const arn = (await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ mode: 'map', items: [1, 2] }) }))).executionArn!;
    expect(await waitForEnd(client, arn)).toMatchObject({ status: 'SUCCEEDED', output: '[1,2]' });

    const create = (definition: unknown): Promise<string> =>
      client
        .send(new CreateStateMachineCommand({ name: 'broken', roleArn: 'arn:aws:iam::000000000000:role/r', definition: JSON.stringify(definition) }))
        .then(
          () => 'created',
          (e: Error) => `${e.name}: ${e.message}`,
        );
    expect(await create({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } })).toBe(
      `InvalidDefinition: Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: A names no state of the definition: "Nowhere"'`,
    );
    expect(await create({ StartAt: 'A', States: { A: { Type: 'Teleport', End: true } } })).toBe(
      "InvalidDefinition: Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: state A has no valid Type'",
    );
    expect(await create({ StartAt: 'M', States: { M: { Type: 'Map', End: true } } })).toMatch(/^InvalidDefinition: .*M\.ItemProcessor must have StartAt and States/);
    expect(await create({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } })).toBe('created');
    // ajv's compile failure would print "Error compiling schema"; the structural checks print nothing.
    expect(stderr()).toBe('');
  } finally {
    client.destroy();
    child.kill('SIGKILL');
    dir.remove();
  }
});
