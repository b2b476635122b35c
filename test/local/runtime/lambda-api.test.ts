import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionNameOf, type LambdaApi, startLambdaApi } from '../../../local/runtime/lambda-api.js';
import type { InvokeOutcome } from '../../../local/runtime/types.js';

const invocations: Array<{ functionName: string; event: unknown }> = [];
const logs: string[] = [];
let api: LambdaApi;
let lambda: LambdaClient;

beforeAll(async () => {
  api = await startLambdaApi({
    port: 0,
    functionNames: ['orderflow-local-echo', 'orderflow-local-broken'],
    log: (line) => logs.push(line),
    invoke: async (functionName, event): Promise<InvokeOutcome> => {
      invocations.push({ functionName, event });
      return functionName.endsWith('broken')
        ? { status: 'error', errorType: 'Error', errorMessage: 'it broke' }
        : { status: 'ok', result: { echoed: event } };
    },
  });
  lambda = new LambdaClient({
    region: 'eu-west-1',
    endpoint: api.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  lambda?.destroy();
  await api?.close();
});

const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decoded = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes)) as unknown;

describe('the local Lambda Invoke API', () => {
  it('invokes a function by its ARN and answers its result, as the SDK expects', async () => {
    // Act
    const output = await lambda.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:eu-west-1:000000000000:function:orderflow-local-echo',
        Payload: payload({ hello: 'world' }),
      }),
    );

    // Assess
    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBeUndefined();
    expect(decoded(output.Payload)).toEqual({ echoed: { hello: 'world' } });
    expect(invocations.at(-1)).toEqual({ functionName: 'orderflow-local-echo', event: { hello: 'world' } });
  });

  it('reports a function error in X-Amz-Function-Error with the error as payload', async () => {
    // Act
    const output = await lambda.send(
      new InvokeCommand({ FunctionName: 'orderflow-local-broken', Payload: payload({}) }),
    );

    // Assess
    expect(output.FunctionError).toBe('Unhandled');
    expect(decoded(output.Payload)).toEqual({ errorType: 'Error', errorMessage: 'it broke' });
  });

  it('answers an unknown function with ResourceNotFoundException and invokes nothing', async () => {
    // Prepare
    const before = invocations.length;

    // Act
    const invoking = lambda.send(
      new InvokeCommand({ FunctionName: 'orderflow-local-nope', Payload: payload({}) }),
    );

    // Assess
    await expect(invoking).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(invocations).toHaveLength(before);
  });

  it('accepts an Event invocation with 202 and a DryRun with 204, invoking only the first', async () => {
    // Prepare
    const before = invocations.length;

    // Act
    const event = await lambda.send(
      new InvokeCommand({
        FunctionName: 'orderflow-local-echo',
        InvocationType: 'Event',
        Payload: payload({ n: 1 }),
      }),
    );
    const dryRun = await lambda.send(
      new InvokeCommand({
        FunctionName: 'orderflow-local-echo',
        InvocationType: 'DryRun',
        Payload: payload({ n: 2 }),
      }),
    );

    // Assess
    expect([event.StatusCode, dryRun.StatusCode]).toEqual([202, 204]);
    expect(invocations.slice(before)).toEqual([{ functionName: 'orderflow-local-echo', event: { n: 1 } }]);
  });

  it('refuses a body that is not JSON with 400 InvalidRequestContentException', async () => {
    // Act
    const response = await fetch(`${api.url}/2015-03-31/functions/orderflow-local-echo/invocations`, {
      method: 'POST',
      body: '{not json',
    });

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
  });

  it.each([
    ['orderflow-local-echo', 'orderflow-local-echo'],
    ['arn:aws:lambda:eu-west-1:000000000000:function:orderflow-local-echo', 'orderflow-local-echo'],
    ['arn:aws:lambda:eu-west-1:000000000000:function:orderflow-local-echo:$LATEST', 'orderflow-local-echo'],
    ['000000000000:function:orderflow-local-echo', 'orderflow-local-echo'],
  ])('reads the function name of %s', (nameOrArn, name) => {
    expect(functionNameOf(nameOrArn)).toBe(name);
  });
});
