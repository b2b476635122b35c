import { Readable } from 'node:stream';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asDependencyError } from '../../shared/adapters/dependency-error.js';
import { injectSdkFaults, withInjectedFaults } from '../../shared/adapters/sdk-faults.js';
import { isTransientAwsError } from '../../shared/adapters/transient-errors.js';
import { DependencyUnavailableError } from '../../shared/core/errors.js';
import type { FaultDice } from '../../shared/faults/fault-dice.js';
import type { FaultKind, FunctionFaults } from '../../shared/faults/fault-plan.js';
import type { InjectedFault } from '../../shared/faults/fault-reports.js';

/**
 * The middleware runs inside the SDK's own pipeline, so these tests use a real client whose HTTP handler answers
 * `{}` and counts the requests that reached "DynamoDB" (aws-sdk-client-mock replaces `send`, middleware and all).
 */
function dynamoDbWithCountedRequests() {
  const requests: string[] = [];
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { headers: Record<string, string> }) => {
        requests.push(request.headers['x-amz-target'] ?? 'unknown');
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from('{}')]),
          },
        };
      },
    },
  });
  return { client, requests };
}

/** Dice that always roll the way the test says, and choose the given kind. */
function loadedDice({ fail, kind = 'sdk-throttling' }: { fail: boolean; kind?: FaultKind }): FaultDice {
  return {
    roll: () => fail,
    choose: <T>(options: readonly [T, ...T[]]) =>
      (options.find((option) => option === kind) ?? options[0]) as T,
    between: (low) => low,
  };
}

const FAULTS: FunctionFaults = {
  seed: 1,
  sdkErrorRate: { dynamodb: 0.5 },
  crashAfterWriteRate: 0.25,
  poisonEventRate: 0,
};

function inject(client: DynamoDBClient, dice: FaultDice, crash = vi.fn()) {
  const reports: InjectedFault[] = [];
  injectSdkFaults(client, {
    service: 'dynamodb',
    faults: FAULTS,
    site: 'orderflow-test-processOrder',
    dice,
    report: (fault) => reports.push(fault),
    crash,
  });
  return { reports, crash };
}

const put = () => new PutItemCommand({ TableName: 'orders', Item: { pk: { S: 'o-1' } } });

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('injectSdkFaults', () => {
  it('lets a call through untouched when the dice say no', async () => {
    // Prepare
    const { client, requests } = dynamoDbWithCountedRequests();
    const { reports, crash } = inject(client, loadedDice({ fail: false }));

    // Act
    await client.send(put());

    // Assess
    expect(requests).toEqual(['DynamoDB_20120810.PutItem']);
    expect(reports).toEqual([]);
    expect(crash).not.toHaveBeenCalled();
  });

  it.each([
    ['sdk-throttling', 'ThrottlingException', 400],
    ['sdk-server-error', 'InternalServerError', 500],
  ] as const)('fails a call with %s before it reaches the service', async (kind, name, status) => {
    // Prepare
    const { client, requests } = dynamoDbWithCountedRequests();
    const { reports } = inject(client, loadedDice({ fail: true, kind }));

    // Act
    const error = await client.send(put()).catch((caught: unknown) => caught);

    // Assess
    expect(requests).toEqual([]);
    expect(error).toMatchObject({ name, $metadata: { httpStatusCode: status } });
    expect(reports).toEqual([{ kind, site: 'orderflow-test-processOrder', target: 'dynamodb PutItem' }]);
  });

  it('loses the answer of a call that timed out after the service did the work', async () => {
    // Prepare
    const { client, requests } = dynamoDbWithCountedRequests();
    const { reports } = inject(client, loadedDice({ fail: true, kind: 'sdk-timeout' }));

    // Act
    const error = await client.send(put()).catch((caught: unknown) => caught);

    // Assess
    expect(requests).toEqual(['DynamoDB_20120810.PutItem']);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(reports.map(({ kind }) => kind)).toEqual(['sdk-timeout']);
  });

  it.each([['sdk-throttling'], ['sdk-server-error'], ['sdk-timeout']] as const)(
    'raises %s as a transient error, which the adapters turn into a 503',
    async (kind) => {
      // Prepare
      const { client } = dynamoDbWithCountedRequests();
      inject(client, loadedDice({ fail: true, kind }));

      // Act
      const error = await client.send(put()).catch((caught: unknown) => caught);

      // Assess
      expect(isTransientAwsError(error)).toBe(true);
      expect(asDependencyError('DYNAMODB', error)).toBeInstanceOf(DependencyUnavailableError);
    },
  );

  it('crashes a consumer right after a write the service made, never after a read', async () => {
    // Prepare
    const { client, requests } = dynamoDbWithCountedRequests();
    const dice: FaultDice = {
      ...loadedDice({ fail: false }),
      roll: (rate) => rate === FAULTS.crashAfterWriteRate,
    };
    const { reports, crash } = inject(client, dice);

    // Act
    await client.send(new GetItemCommand({ TableName: 'orders', Key: { pk: { S: 'o-1' } } }));
    const callsAfterRead = crash.mock.calls.length;
    await client.send(put());

    // Assess
    expect(callsAfterRead).toBe(0);
    expect(requests).toEqual(['DynamoDB_20120810.GetItem', 'DynamoDB_20120810.PutItem']);
    expect(crash).toHaveBeenCalledTimes(1);
    expect(reports).toEqual([
      { kind: 'function-crash', site: 'orderflow-test-processOrder', target: 'dynamodb PutItem' },
    ]);
  });

  it('reaches the calls of a document client made from the client', async () => {
    // Prepare
    const { client, requests } = dynamoDbWithCountedRequests();
    const { reports } = inject(client, loadedDice({ fail: true }));
    const documents = DynamoDBDocumentClient.from(client);

    // Act
    const error = await documents
      .send(new PutCommand({ TableName: 'orders', Item: { pk: 'o-1' } }))
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ name: 'ThrottlingException' });
    expect(requests).toEqual([]);
    expect(reports).toHaveLength(1);
  });
});

describe('withInjectedFaults', () => {
  it('adds nothing to a client when ORDERFLOW_CHAOS is unset, as in every deployed stage', () => {
    // Prepare
    vi.stubEnv('ORDERFLOW_CHAOS', '');
    const { client } = dynamoDbWithCountedRequests();

    // Act
    const same = withInjectedFaults(client, 'dynamodb');

    // Assess
    expect(same).toBe(client);
    expect(client.middlewareStack.identify().some((name) => name.includes('orderflowInjectedFaults'))).toBe(
      false,
    );
  });
});
