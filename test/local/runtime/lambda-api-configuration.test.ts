import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { strToU8, zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFunctionRuntime, type FunctionRuntime } from '../../../local/runtime/function-runtime.js';
import { type LambdaApi, parseEnvironmentUpdate, startLambdaApi } from '../../../local/runtime/lambda-api.js';
import type { LocalFunction } from '../../../local/template/model.js';

const REGION = 'eu-west-1';
const NAME = 'orderflow-test-switch';

/** Reads its switch once, at cold start (as the fault switch does), and can hold an invocation for a while. */
const HANDLER = `
  const atColdStart = process.env.SWITCH ?? null;
  export const handler = async ({ holdMs = 0 }) => {
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    return { atColdStart, kept: process.env.KEPT ?? null };
  };`;

let root: string;
let runtime: FunctionRuntime;
let api: LambdaApi;
let lambda: LambdaClient;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'orderflow-lambda-config-test-'));
  const packageDir = join(root, 'package');
  await mkdir(packageDir);
  await writeFile(
    join(packageDir, `${NAME}.zip`),
    zipSync({
      'functions/package.json': strToU8('{"type":"module"}'),
      'functions/switch.js': strToU8(HANDLER),
    }),
  );
  const fn: LocalFunction = {
    logicalId: 'SwitchLambdaFunction',
    name: NAME,
    arn: `arn:aws:lambda:${REGION}:000000000000:function:${NAME}`,
    artifact: `${NAME}.zip`,
    handler: 'functions/switch.handler',
    timeoutSeconds: 5,
    memoryMb: 256,
    environment: { SWITCH: 'old', KEPT: 'yes' },
  };
  runtime = createFunctionRuntime({
    packageDir,
    workDir: join(root, 'work'),
    functions: [fn],
    environment: {},
    region: REGION,
    accountId: '000000000000',
    output: 'silent',
    log: () => undefined,
  });
  api = await startLambdaApi({
    port: 0,
    functionNames: [NAME],
    invoke: (functionName, event) => runtime.invoke(functionName, event),
    log: () => undefined,
    configurations: {
      get: (functionName) => runtime.configuration(functionName),
      replaceEnvironment: (functionName, variables) => runtime.replaceEnvironment(functionName, variables),
    },
  });
  lambda = new LambdaClient({
    region: REGION,
    endpoint: api.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterEach(async () => {
  lambda.destroy();
  await api.close();
  await runtime.close();
  await rm(root, { recursive: true, force: true });
});

const invoke = async (holdMs = 0) => {
  const output = await lambda.send(
    new InvokeCommand({ FunctionName: NAME, Payload: new TextEncoder().encode(JSON.stringify({ holdMs })) }),
  );
  return JSON.parse(new TextDecoder().decode(output.Payload)) as { atColdStart: unknown; kept: unknown };
};

describe('GetFunctionConfiguration and UpdateFunctionConfiguration on the local Lambda API', () => {
  it("reads a function's configuration with its environment variables", async () => {
    // Act
    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: NAME }));

    // Assess
    expect(configuration).toMatchObject({
      FunctionName: NAME,
      FunctionArn: `arn:aws:lambda:${REGION}:000000000000:function:${NAME}`,
      Handler: 'functions/switch.handler',
      Timeout: 5,
      MemorySize: 256,
      Version: '$LATEST',
      State: 'Active',
      LastUpdateStatus: 'Successful',
      Environment: { Variables: { SWITCH: 'old', KEPT: 'yes' } },
    });
  });

  it('replaces the whole variable map, as Lambda does, and answers the new configuration', async () => {
    // Act
    const updated = await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: NAME,
        Environment: { Variables: { SWITCH: 'new' } },
      }),
    );
    const read = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: NAME }));

    // Assess: KEPT is gone, because it was not in the update.
    expect(updated.Environment?.Variables).toEqual({ SWITCH: 'new' });
    expect(read.Environment?.Variables).toEqual({ SWITCH: 'new' });
  });

  it('runs every invocation after the update with the new variables: idle environments retired at once, a busy one after its invocation', async () => {
    // Prepare: two warm environments, one idle and one busy with a held invocation.
    const [busy] = await Promise.all([invoke(1500), invoke(0)]);
    const held = invoke(1500);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Act
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: NAME,
        Environment: { Variables: { SWITCH: 'new', KEPT: 'yes' } },
      }),
    );
    const after = await Promise.all([invoke(0), invoke(0), invoke(0)]);

    // Assess: the held invocation finishes where it started; everything after sees the new switch.
    expect(busy).toEqual({ atColdStart: 'old', kept: 'yes' });
    expect(await held).toEqual({ atColdStart: 'old', kept: 'yes' });
    expect(after).toEqual([
      { atColdStart: 'new', kept: 'yes' },
      { atColdStart: 'new', kept: 'yes' },
      { atColdStart: 'new', kept: 'yes' },
    ]);
    expect(await invoke(0)).toEqual({ atColdStart: 'new', kept: 'yes' });
  });

  it('refuses fields other than Environment, naming them, and changes nothing', async () => {
    // Act
    const refused = lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: NAME,
        Timeout: 30,
        MemorySize: 512,
        Environment: { Variables: { SWITCH: 'new' } },
      }),
    );

    // Assess
    await expect(refused).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(refused).rejects.toThrow(
      /supports only Environment; unsupported: (Timeout, MemorySize|MemorySize, Timeout)/,
    );
    const read = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: NAME }));
    expect(read.Environment?.Variables).toEqual({ SWITCH: 'old', KEPT: 'yes' });
  });

  it('refuses reserved variables and answers ResourceNotFoundException for an unknown function', async () => {
    await expect(
      lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: NAME,
          Environment: { Variables: { AWS_REGION: 'us-east-1' } },
        }),
      ),
    ).rejects.toThrow(/reserved keys .*AWS_REGION/);
    await expect(
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'orderflow-test-missing' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('parseEnvironmentUpdate', () => {
  it('reads Environment.Variables, none meaning an empty map, and names what it cannot apply', () => {
    expect(parseEnvironmentUpdate('{"Environment":{"Variables":{"A":"1"}}}')).toEqual({
      variables: { A: '1' },
    });
    expect(parseEnvironmentUpdate('{"Environment":{}}')).toEqual({ variables: {} });
    expect(parseEnvironmentUpdate('{"Environment":{"Variables":{"A":1}}}')).toEqual({
      error: 'Environment.Variables must be strings; not a string: A',
    });
    expect(parseEnvironmentUpdate('{"Layers":[]}')).toEqual({
      error: "The local Lambda's UpdateFunctionConfiguration supports only Environment; unsupported: Layers",
    });
    expect(parseEnvironmentUpdate('{"Environment":{"Variables":{},"KMSKeyArn":"k"}}')).toEqual({
      error: 'The local Lambda supports only Environment.Variables; unsupported: Environment.KMSKeyArn',
    });
    expect(parseEnvironmentUpdate('not json')).toEqual({ error: 'Could not parse request body into json' });
  });
});
