import { setTimeout as delay } from 'node:timers/promises';
import { ADMIN_SCOPE } from '../../shared/core/caller.js';
import { describeError, driveOrders } from './http-driver.js';
import {
  queueDepth,
  readActivity,
  readOrders,
  readWindowFigures,
  type StatusWatch,
  watchStatuses,
} from './observe.js';
import { expectedOrdersOf, placedOrdersOf, summarizeHttp } from './outcomes.js';
import type { DeadLetterDepth, LoadReport } from './report.js';
import type { LoadTarget } from './target.js';
import { judgeAnalytics, judgeOrders, judgeStatuses, judgeStream, latencyOf, settledAt } from './verdicts.js';
import {
  type ExpectedOrder,
  expectedFigures,
  newRunId,
  planWorkload,
  regionsFor,
  type WorkloadOptions,
} from './workload.js';

export type LoadProgress =
  | { phase: 'placing'; placed: number; done: number; total: number }
  | { phase: 'settling'; settled: number; total: number };

export interface LoadOptions extends WorkloadOptions {
  /** How long to wait, after the last order was placed, for every order to settle and the analytics to add up. */
  settleTimeoutMs: number;
  onProgress?: (progress: LoadProgress) => void;
  /** Default: a fresh one. */
  runId?: string;
  /** How often the settle conditions are checked (default 250 ms; the analytics table at most once a second). */
  pollIntervalMs?: number;
}

/** Nothing answers at an endpoint of the target: the local cloud is not running there. */
export class NothingListensError extends Error {
  override readonly name = 'NothingListensError';
}

/**
 * Runs the workload against a local cloud and judges the outcome: subscribes to every order's status first, places
 * the orders, waits until each reached its expected final status on MQTT and the analytics add up (or the settle
 * deadline passes), then reads every order back, the whole stream, the analytics windows and the DLQs' depths.
 * The report says what held; nothing here asserts.
 */
/** The `sub` of the token a load run reads orders back with (it has the admin scope: the orders are others'). */
const LOAD_RUN_ADMIN = 'load-run-observer';

export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadReport> {
  const { orders, concurrency, cancelRatio, settleTimeoutMs, onProgress = () => {} } = options;
  const runId = options.runId ?? newRunId();
  const plans = planWorkload({ runId, orders, cancelRatio });
  const regions = regionsFor(runId, orders);
  const pollIntervalMs = options.pollIntervalMs ?? 250;

  const issueAdminToken = () => target.issueToken({ sub: LOAD_RUN_ADMIN, scopes: [ADMIN_SCOPE] });
  await checkHttp(target.httpUrl, await issueAdminToken());
  const before = await deadLetterDepths(target);
  const watch = await watchStatusesAt(target.mqttUrl, `load-${runId}-`);
  try {
    const firstPostAt = Date.now();
    const outcomes = await driveOrders({
      httpUrl: target.httpUrl,
      plans,
      concurrency,
      issueToken: (claims) => target.issueToken(claims),
      onProgress: ({ created, done }) =>
        onProgress({ phase: 'placing', placed: created, done, total: orders }),
    });
    const placed = placedOrdersOf(outcomes);
    const expected = expectedOrdersOf(placed);
    const figures = expectedFigures(placed);

    const settleStart = Date.now();
    const deadline = settleStart + settleTimeoutMs;
    let timedOut = false;
    let analyticsCheckedAt = 0;
    for (;;) {
      const settled = settledCount(expected, watch);
      onProgress({ phase: 'settling', settled, total: expected.size });
      if (settled === expected.size && Date.now() - analyticsCheckedAt >= 1_000) {
        analyticsCheckedAt = Date.now();
        const windows = await readWindowFigures(target.clients.dynamodb, target.analyticsTableName, regions);
        if (judgeAnalytics(regions, figures, windows).mismatched.count === 0) break;
      }
      if (Date.now() >= deadline) {
        timedOut = true;
        break;
      }
      await delay(pollIntervalMs);
    }
    const settleEnd = Date.now();

    const orderIds = [...expected.keys()];
    const readBack = await readOrders(target.httpUrl, issueAdminToken, orderIds, concurrency);
    const records = await readActivity(target.clients.kinesis, target.activityStreamName);
    const windows = await readWindowFigures(target.clients.dynamodb, target.analyticsTableName, regions);
    const after = await deadLetterDepths(target);

    const settleTimes = orderIds.flatMap((orderId) => {
      const order = expected.get(orderId) as ExpectedOrder;
      const at = settledAt(order, watch.statusesOf(orderId));
      return at === undefined ? [] : [{ orderId, order, at }];
    });
    const postSentAt = new Map(
      outcomes.flatMap((outcome) =>
        outcome.orderId === undefined ? [] : [[outcome.orderId, outcome.postSentAt]],
      ),
    );
    const lastSettledAt = Math.max(firstPostAt, ...settleTimes.map(({ at }) => at));
    const seconds = ((settleTimes.length === expected.size ? lastSettledAt : settleEnd) - firstPostAt) / 1000;

    return {
      runId,
      orders,
      concurrency,
      cancelRatio,
      regions,
      http: summarizeHttp(outcomes),
      settle: {
        settled: settleTimes.length,
        expected: expected.size,
        timedOut,
        waitedMs: settleEnd - settleStart,
      },
      lost: judgeOrders(expected, readBack),
      stream: judgeStream(expected, records),
      statuses: judgeStatuses(expected, watch.messages),
      ...(watch.connectionError === undefined ? {} : { subscriberError: watch.connectionError }),
      analytics: judgeAnalytics(regions, figures, windows),
      deadLetters: target.deadLetterQueues.map(({ name, kind }, index) => ({
        name,
        kind,
        before: before[index] ?? 0,
        after: after[index] ?? 0,
      })) satisfies DeadLetterDepth[],
      throughput: {
        orders: settleTimes.length,
        seconds,
        ordersPerSecond: seconds > 0 ? settleTimes.length / seconds : 0,
      },
      postToFulfilledMs: latencyOf(
        settleTimes
          .filter(({ order }) => order.status === 'FULFILLED')
          .map(({ orderId, at }) => at - (postSentAt.get(orderId) ?? at)),
      ),
    };
  } finally {
    await watch.close();
  }
}

function settledCount(expected: ReadonlyMap<string, ExpectedOrder>, watch: StatusWatch): number {
  let settled = 0;
  for (const [orderId, order] of expected) {
    if (settledAt(order, watch.statusesOf(orderId)) !== undefined) settled += 1;
  }
  return settled;
}

/**
 * Something must answer, and accept this checkout's tokens: a 404 for an order that does not exist will do, a 401
 * says the cloud trusts another key (started before `.local-cloud/jwt-signing-key.json` was replaced).
 */
async function checkHttp(httpUrl: string, adminToken: string): Promise<void> {
  let status: number;
  try {
    const response = await fetch(`${httpUrl}/orders/load-run-probe`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    await response.arrayBuffer();
    status = response.status;
  } catch (error) {
    throw new NothingListensError(`nothing answers at ${httpUrl} (${describeError(error)})`, {
      cause: error,
    });
  }
  if (status === 401) {
    throw new Error(
      `${httpUrl} refuses this checkout's tokens (401): the local cloud was started with another signing key; restart \`npm start\``,
    );
  }
}

async function watchStatusesAt(mqttUrl: string, customerPrefix: string): Promise<StatusWatch> {
  try {
    return await watchStatuses(mqttUrl, customerPrefix);
  } catch (error) {
    throw new NothingListensError(`no MQTT broker answers at ${mqttUrl} (${describeError(error)})`, {
      cause: error,
    });
  }
}

async function deadLetterDepths(target: LoadTarget): Promise<number[]> {
  return Promise.all(target.deadLetterQueues.map(({ url }) => queueDepth(target.clients.sqs, url)));
}
