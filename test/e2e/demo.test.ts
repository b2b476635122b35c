import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { demoCommand, SKIPPED_LEGACY } from '../../local/commands/demo-command.js';
import { localTargetOf } from '../../local/commands/local-target.js';
import { getJson, startTestCloud } from '../support/local-cloud.js';

const FULFILLMENT_QUEUE = 'orderflow-local-fulfillment.fifo';

let cloud: LocalCloud;
/** processOrder's variables before the demo, as the Lambda API reports them. */
let processOrderVariables: Record<string, string> | undefined;

beforeAll(async () => {
  ({ cloud } = await startTestCloud());
  const target = localTargetOf(cloud);
  try {
    processOrderVariables = (
      await target.clients.lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: 'orderflow-local-processOrder' }),
      )
    ).Environment?.Variables;
  } finally {
    target.close();
  }
});

afterAll(async () => {
  await cloud?.stop();
});

describe('npm run demo', () => {
  it('tells the whole story on a cloud started for it, every step passing (the ERP one skipped: no broker), its figures those of the pipeline', async () => {
    // Arrange
    const out: string[] = [];
    const err: string[] = [];
    let closed = false;

    // Act
    const code = await demoCommand(
      ['--start', '--timeout-ms', '20000'],
      {
        cloud: async (start) => {
          expect(start).toBe(true);
          return {
            http: cloud.endpoints.http,
            mqtt: cloud.endpoints.mqtt,
            token: (sub, scopes) => cloud.issueToken({ sub, scopes }),
            target: async () => localTargetOf(cloud),
            // As `--start` starts it: without the ERP bridge's broker.
            legacyBrokerUrl: async () => cloud.legacyBrokerUrl,
            close: async () => {
              closed = true;
            },
          };
        },
      },
      { out: (text) => out.push(text), err: (text) => err.push(text) },
    );

    // Assess
    expect(err).toEqual([]);
    expect(code, out.join('\n')).toBe(0);
    expect(closed).toBe(true);
    const table = out.join('\n');
    const rows = table.split('\n').filter((line) => /\| (PASS|FAIL|SKIP)$/.test(line));
    expect(rows.map((row) => row.split('|')[0]?.trim())).toEqual([
      'normal order',
      'idempotent replay',
      'high-value review',
      'cancel racing fulfilment',
      'warehouse scans',
      'poison message and redrive',
      'legacy ERP order',
    ]);
    expect(rows.slice(0, -1).every((row) => row.endsWith('PASS'))).toBe(true);
    // No broker in this cloud (as with --start): the ERP step is skipped, and the demo still passes.
    expect(
      rows
        .at(-1)
        ?.split('|')
        .map((cell) => cell.trim())
        .slice(2),
    ).toEqual([SKIPPED_LEGACY, 'SKIP']);
    expect(out.some((line) => line.startsWith('  · HTTP accepted '))).toBe(true);

    // The observed final states are the orders', as the API answers them now.
    const admin = { as: 'ops', scopes: ['orders/admin'] };
    for (const [title, expected] of [
      ['normal order', /^FULFILLED$/],
      ['poison message', /^FULFILLED$/],
      ['cancel racing', /^(CANCELLED|FULFILLED)$/],
      ['warehouse scans', /^DELIVERED$/],
    ] as const) {
      const row = rows.find((candidate) => candidate.startsWith(title)) ?? '';
      const observedCell = row.split('|')[2] ?? '';
      const orderId = observedCell.match(/order (\S+):/)?.[1];
      const observed =
        observedCell.match(/final (\w+)/)?.[1] ??
        (/FULFILLED heard|redriven in order, FULFILLED/.test(observedCell) ? 'FULFILLED' : undefined);
      expect(orderId, row).toBeDefined();
      expect(observed, row).toMatch(expected);
      const order = await getJson(cloud, `/orders/${orderId}`, admin);
      expect(order.body.status, row).toBe(observed);
    }
    const poison = rows.find((row) => row.startsWith('poison message')) ?? '';
    expect(poison).toMatch(/: 2 events in the DLQ, 2 redriven in order, FULFILLED, 0 left in the DLQ/);

    // What the poison step changed is back as it was: the queue's visibility timeout and processOrder's variables.
    expect(out).toContainEqual(
      expect.stringMatching(
        /^ {2}put back: orderflow-local-fulfillment\.fifo's visibility timeout \(60 s\)$/,
      ),
    );
    const target = localTargetOf(cloud);
    try {
      const { Attributes } = await cloud.clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: (await cloud.clients.sqs.send(new GetQueueUrlCommand({ QueueName: FULFILLMENT_QUEUE })))
            .QueueUrl,
          AttributeNames: ['VisibilityTimeout'],
        }),
      );
      expect(Attributes?.VisibilityTimeout).toBe('60');
      const configuration = await target.clients.lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: 'orderflow-local-processOrder' }),
      );
      expect(configuration.Environment?.Variables?.ORDERFLOW_FAULT_CUSTOMER_ID).toBeUndefined();
      expect(configuration.Environment?.Variables).toEqual(processOrderVariables);
    } finally {
      target.close();
    }
  }, 180_000);
});
