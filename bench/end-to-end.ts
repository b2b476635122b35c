import { performance } from 'node:perf_hooks';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, PutRecordsCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { generateSigningKey } from '../local/auth/signing-key.js';
import { type EmulatorRequests, type LocalCloud, startLocalCloud } from '../local/cloud.js';
import { ANY_FREE_PORTS } from '../local/listen-ports.js';
import { passed } from '../local/load/report.js';
import { type LoadProgress, runLoad } from '../local/load/run-load.js';
import { loadTargetOfCloud } from '../local/load/target.js';
import type { EmulatorFloor, EndToEndRun } from './results.js';

/** Every port 0: any free one, so that a running `npm start` is left alone. */

export interface EndToEndPlan {
  /** Orders per concurrency level. */
  levels: Array<{ concurrency: number; orders: number }>;
  /** How long each emulator floor loop runs. */
  floorSeconds: number;
  /** Concurrent callers in each floor loop (the load run's concurrency that the budget names). */
  floorConcurrency: number;
}

export type EndToEndProgress =
  | { phase: 'load'; concurrency: number; progress: LoadProgress }
  | { phase: 'floor'; loop: string };

/**
 * The local cloud, started in this process from the benchmark's package: the load run (`npm run load`'s code) at each
 * concurrency, with the requests each emulator served per order, then each emulator's floor — a bare loop of the
 * call orderflow makes most of it — measured in the same run, on the same emulators.
 *
 * The requests per order are those the orders caused: the pollers' requests of an idle pipeline (measured first,
 * per second) are taken off for the run's duration. Counted in, they would grow as a run slows down, and lower the
 * bound that the run is then judged against.
 */
export async function measureEndToEnd(
  packageDir: string,
  plan: EndToEndPlan,
  onProgress: (progress: EndToEndProgress) => void,
): Promise<{ runs: EndToEndRun[]; floors: EmulatorFloor[]; idleRequestsPerSecond: EmulatorRequests }> {
  const cloud = await startLocalCloud({
    packageDir,
    ports: ANY_FREE_PORTS,
    // The ERP bridge is not part of this run: its broker stays off.
    legacyBroker: false,
    functionOutput: () => {},
    log: () => {},
    signingKey: await generateSigningKey(),
  });
  try {
    onProgress({ phase: 'floor', loop: 'idle pollers' });
    const idleRequestsPerSecond = await idleRequestRates(cloud, plan.floorSeconds * 1000);
    const runs: EndToEndRun[] = [];
    for (const { concurrency, orders } of plan.levels) {
      const before = cloud.emulatorRequests();
      const started = performance.now();
      const report = await runLoad(loadTargetOfCloud(cloud), {
        orders,
        concurrency,
        cancelRatio: 0.1,
        settleTimeoutMs: 120_000,
        onProgress: (progress) => onProgress({ phase: 'load', concurrency, progress }),
      });
      const served = difference(cloud.emulatorRequests(), before);
      const seconds = (performance.now() - started) / 1000;
      runs.push({
        concurrency,
        orders,
        ordersPerSecond: report.throughput.ordersPerSecond,
        p50Ms: report.postToFulfilledMs.p50 ?? Number.NaN,
        p95Ms: report.postToFulfilledMs.p95 ?? Number.NaN,
        p99Ms: report.postToFulfilledMs.p99 ?? Number.NaN,
        allPassed: passed(report),
        emulatorRequestsPerOrder: requestsPerOrder(served, idleRequestsPerSecond, seconds, orders),
      });
    }
    const floors = await measureFloors(cloud, plan, (loop) => onProgress({ phase: 'floor', loop }));
    return { runs, floors, idleRequestsPerSecond };
  } finally {
    await cloud.stop();
  }
}

/** Requests/s each emulator serves while no order moves: the pollers' own. */
async function idleRequestRates(cloud: LocalCloud, durationMs: number): Promise<EmulatorRequests> {
  const before = cloud.emulatorRequests();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const seconds = (performance.now() - started) / 1000;
  const served = difference(cloud.emulatorRequests(), before);
  return {
    sqsSns: served.sqsSns / seconds,
    dynamodb: served.dynamodb / seconds,
    kinesis: served.kinesis / seconds,
    iotData: served.iotData / seconds,
  };
}

/**
 * The requests per order that a run's orders caused: what each emulator served, less what its idle pollers would have
 * served in the run's `seconds` (never below zero).
 */
export function requestsPerOrder(
  served: EmulatorRequests,
  idleRequestsPerSecond: EmulatorRequests,
  seconds: number,
  orders: number,
): Record<string, number> {
  return Object.fromEntries(
    (Object.keys(served) as Array<keyof EmulatorRequests>).map((emulator) => [
      emulator,
      Math.max(0, served[emulator] - idleRequestsPerSecond[emulator] * seconds) / orders,
    ]),
  );
}

function difference(after: EmulatorRequests, before: EmulatorRequests): EmulatorRequests {
  return {
    sqsSns: after.sqsSns - before.sqsSns,
    dynamodb: after.dynamodb - before.dynamodb,
    kinesis: after.kinesis - before.kinesis,
    iotData: after.iotData - before.iotData,
  };
}

/** The emulator each floor loop measures, by `EmulatorRequests` key. */
const FLOOR_EMULATOR: Record<string, keyof EmulatorRequests> = {
  'dynamodb PutItem': 'dynamodb',
  'sns Publish (FIFO topic → FIFO queue)': 'sqsSns',
  'sqs SendMessage + ReceiveMessage + DeleteMessageBatch': 'sqsSns',
  'kinesis PutRecords (1 record)': 'kinesis',
};

/**
 * Calls/s of a bare loop per emulator, `floorConcurrency` callers at once for `floorSeconds`, with the local cloud's
 * own SDK clients, on resources of its own (so that nothing reaches the pipeline's queues).
 */
async function measureFloors(
  cloud: LocalCloud,
  plan: EndToEndPlan,
  onLoop: (loop: string) => void,
): Promise<EmulatorFloor[]> {
  const { dynamodb, sns, sqs, kinesis } = cloud.clients;
  const suffix = `bench-floor-${Date.now().toString(36)}`;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: suffix,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const { TopicArn } = await sns.send(
    new CreateTopicCommand({
      Name: `${suffix}.fifo`,
      Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'false' },
    }),
  );
  const { QueueUrl: subscribedUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${suffix}-subscribed.fifo`, Attributes: { FifoQueue: 'true' } }),
  );
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${suffix}.fifo`, Attributes: { FifoQueue: 'true' } }),
  );
  if (TopicArn === undefined || QueueUrl === undefined || subscribedUrl === undefined) {
    throw new Error("the emulators did not create the floor loops' topic and queues");
  }
  const subscribedArn = `arn:aws:sqs:${cloud.region}:000000000000:${suffix}-subscribed.fifo`;
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: subscribedArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  await kinesis.send(new CreateStreamCommand({ StreamName: suffix, ShardCount: 1 }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30 }, { StreamName: suffix });

  const body = JSON.stringify({
    orderId: '9b2e4c6a-1d3f-4a5b-8c7d-0e1f2a3b4c5d',
    status: 'PLACED',
    seq: 1,
    total: 4248,
  });
  let counter = 0;
  const next = () => {
    counter += 1;
    return `${counter}`;
  };
  const loops: Record<string, () => Promise<number>> = {
    'dynamodb PutItem': async () => {
      await dynamodb.send(
        new PutItemCommand({ TableName: suffix, Item: { pk: { S: next() }, body: { S: body } } }),
      );
      return 1;
    },
    'sns Publish (FIFO topic → FIFO queue)': async () => {
      const id = next();
      await sns.send(
        new PublishCommand({
          TopicArn,
          Message: body,
          MessageGroupId: `group-${Number(id) % 50}`,
          MessageDeduplicationId: id,
        }),
      );
      return 1;
    },
    'sqs SendMessage + ReceiveMessage + DeleteMessageBatch': async () => {
      const id = next();
      await sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: body,
          MessageGroupId: `group-${id}`,
          MessageDeduplicationId: id,
        }),
      );
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
      );
      if (Messages.length === 0) return 2;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: Messages.map(({ ReceiptHandle }, index) => ({ Id: String(index), ReceiptHandle })),
        }),
      );
      return 3;
    },
    'kinesis PutRecords (1 record)': async () => {
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: suffix,
          Records: [{ PartitionKey: next(), Data: Buffer.from(body) }],
        }),
      );
      return 1;
    },
  };
  const floors: EmulatorFloor[] = [];
  for (const [loop, call] of Object.entries(loops)) {
    onLoop(loop);
    const callsPerSecond = await callsPerSecondOf(call, plan.floorConcurrency, plan.floorSeconds * 1000);
    floors.push({ loop, emulator: FLOOR_EMULATOR[loop] as string, callsPerSecond });
  }
  return floors;
}

async function callsPerSecondOf(
  call: () => Promise<number>,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  const { calls, seconds } = await countCalls(call, concurrency, durationMs);
  return calls / seconds;
}

/**
 * Runs `call` from `concurrency` callers until `durationMs` passed and sums what the calls returned (the requests
 * each made). Each result is added after its await: `calls += await call()` would read `calls` before the await and
 * keep one caller's sum out of twenty.
 */
export async function countCalls(
  call: () => Promise<number>,
  concurrency: number,
  durationMs: number,
): Promise<{ calls: number; seconds: number }> {
  const start = performance.now();
  const end = start + durationMs;
  let calls = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const made = await call();
        calls += made;
      }
    }),
  );
  return { calls, seconds: (performance.now() - start) / 1000 };
}

/**
 * The orders/s each emulator allows: its floor (calls/s; the best loop where two measure it) divided by the
 * requests it served per order in the run at the budget's concurrency. The lowest is the bound.
 */
export function emulatorBound(
  floors: readonly EmulatorFloor[],
  run: EndToEndRun | undefined,
): { emulator: string; ordersPerSecond: number } | undefined {
  if (run === undefined) return undefined;
  const best = new Map<string, number>();
  for (const { emulator, callsPerSecond } of floors) {
    best.set(emulator, Math.max(best.get(emulator) ?? 0, callsPerSecond));
  }
  let bound: { emulator: string; ordersPerSecond: number } | undefined;
  for (const [emulator, callsPerSecond] of best) {
    const perOrder = run.emulatorRequestsPerOrder[emulator] ?? 0;
    if (perOrder <= 0) continue;
    const ordersPerSecond = callsPerSecond / perOrder;
    if (bound === undefined || ordersPerSecond < bound.ordersPerSecond) bound = { emulator, ordersPerSecond };
  }
  return bound;
}
