import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { localTargetOf } from '../../local/commands/local-target.js';
import { replayCommand } from '../../local/commands/replay-command.js';
import type { ReplayReport } from '../../shared/app/replay.js';
import type { ActivityRecord } from '../../shared/core/activity.js';
import { activityRecords, putActivity as putActivityOn } from '../support/activity-records.js';
import { capturedIo } from '../support/command-harness.js';
import { messagesIn, refOf, startTestCloud } from '../support/local-cloud.js';
import { waitFor } from '../support/wait-for.js';

const FAULTY_CUSTOMER = 'cust-replay-fault';
const REGION = 'zz-replay';
const WINDOW_START = '2026-02-01T10:00:00.000Z';

let cloud: LocalCloud;
let mqtt: MqttClient;
const summaries: Array<Record<string, unknown>> = [];

/** Runs `npm run replay -- <args>` against this test's cloud (the command's code, in this process). */
async function npmRunReplay(...args: string[]): Promise<{ code: number; report: ReplayReport }> {
  const io = capturedIo();
  const code = await replayCommand(args, async () => localTargetOf(cloud), io);
  return { code, report: JSON.parse(io.stdout.join('\n')) as ReplayReport };
}

const activity = activityRecords('e2e-replay', {
  customerId: 'cust-replay',
  region: REGION,
  occurredAt: '2026-02-01T10:00:10.000Z',
});

/** Puts records on one shard (one partition key), in order, as processOrder would. */
const putActivity = (records: ActivityRecord[]) => putActivityOn(cloud, records, 'e2e-replay');

/** The figures the analytics table holds for the test's window. */
async function windowFigures() {
  const { Item } = await cloud.clients.dynamodb.send(
    new GetItemCommand({
      TableName: refOf(cloud, 'AnalyticsTable'),
      Key: { pk: { S: `WINDOW#${REGION}#${WINDOW_START}` } },
      ConsistentRead: true,
    }),
  );
  const { placed, paid, cancelled, fulfilled, revenue } = unmarshall(Item ?? {}) as Record<string, number>;
  return { placed, paid, cancelled, fulfilled, revenue };
}

beforeAll(async () => {
  ({ cloud } = await startTestCloud({
    functionEnvironment: { aggregateAnalytics: { ORDERFLOW_FAULT_CUSTOMER_ID: FAULTY_CUSTOMER } },
  }));
  mqtt = await connectAsync(cloud.endpoints.mqtt, { protocolVersion: 4, reconnectPeriod: 0 });
  mqtt.on('message', (_topic, payload) => {
    const summary = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    if (summary.region === REGION) summaries.push(summary);
  });
  await mqtt.subscribeAsync('analytics/orders/summary', { qos: 1 });
});

afterAll(async () => {
  await mqtt?.endAsync();
  await cloud?.stop();
});

describe('npm run replay on the local cloud', () => {
  it('re-processes the range a failure record names, and the window figures stay exact', async () => {
    // Prepare: a window whose PAID record keeps failing; Lambda gives up on it and sends the range's metadata to
    // activity-failures. The failure record is there twice (a destination delivers at least once).
    await putActivity([
      activity({}),
      activity({
        customerId: FAULTY_CUSTOMER,
        status: 'PAID',
        previousStatus: 'PLACED',
        total: 4500,
        seq: 2,
        occurredAt: '2026-02-01T10:00:20.000Z',
      }),
      activity({ status: 'CANCELLED', previousStatus: 'PLACED', occurredAt: '2026-02-01T10:00:30.000Z' }),
    ]);
    const queueUrl = refOf(cloud, 'ActivityFailuresQueue');
    const failureBody = await waitFor(
      async () => {
        const { Messages = [] } = await cloud.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, VisibilityTimeout: 0 }),
        );
        return Messages[0]?.Body;
      },
      { timeoutMs: 40_000, intervalMs: 200, description: 'the failure record in activity-failures' },
    );
    await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: failureBody }));
    expect((await windowFigures()).paid).toBe(0);

    // Act: the fix ships, then `npm run replay -- --from activity-failures`.
    cloud.setFunctionEnvironment('aggregateAnalytics', { ORDERFLOW_FAULT_CUSTOMER_ID: undefined });
    const { code, report } = await npmRunReplay('--from', 'activity-failures');

    // Assess: one range, settling both failure records; every record of the window counted once.
    const { KinesisBatchInfo: batch } = JSON.parse(failureBody) as {
      KinesisBatchInfo: { shardId: string; startSequenceNumber: string; endSequenceNumber: string };
    };
    expect({ code, report }).toEqual({
      code: 0,
      report: {
        dryRun: false,
        replayed: [
          {
            functionArn: expect.stringMatching(/:function:orderflow-local-aggregateAnalytics$/),
            shardId: batch.shardId,
            start: batch.startSequenceNumber,
            end: batch.endSequenceNumber,
            failures: 2,
            records: expect.any(Number),
          },
        ],
        failed: [],
        planned: [],
        skipped: [],
      },
    });
    const exact = { placed: 1, paid: 1, cancelled: 1, fulfilled: 0, revenue: 4500 };
    expect(await windowFigures()).toEqual(exact);
    expect(await messagesIn(cloud, 'ActivityFailuresQueue')).toBe(0);

    // A second replay finds nothing to do; a record of the next minute closes the window with the exact figures.
    expect(await npmRunReplay('--from', 'activity-failures')).toMatchObject({
      code: 0,
      report: { replayed: [] },
    });
    await putActivity([activity({ occurredAt: '2026-02-01T10:01:05.000Z' })]);
    const summary = await waitFor(() => summaries.find((message) => message.windowStart === WINDOW_START));
    expect(summary).toEqual({
      windowStart: WINDOW_START,
      windowEnd: '2026-02-01T10:01:00.000Z',
      region: REGION,
      ...exact,
      shipped: 0,
      delivered: 0,
    });
    expect(await windowFigures()).toEqual(exact);
  }, 90_000);
});
