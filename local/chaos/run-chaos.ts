import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ADMIN_SCOPE } from '../../shared/core/caller.js';
import { listenForFaults } from '../../shared/faults/fault-reports.js';
import type { LocalCloud } from '../cloud.js';
import { localTargetOf } from '../commands/local-target.js';
import {
  queueDepth,
  readOrders,
  readStreamData,
  readWindowFigures,
  type StatusWatch,
  watchStatuses,
} from '../load/observe.js';
import { loadTargetOfCloud } from '../load/target.js';
import {
  failureList,
  judgeAnalytics,
  judgeStream,
  type LostOrder,
  type StatusMessage,
  settledAt,
} from '../load/verdicts.js';
import {
  type ExpectedOrder,
  expectedFigures,
  newRunId,
  type PlacedOrder,
  regionsFor,
} from '../load/workload.js';
import { type ChaosOrderOutcome, driveChaosOrders } from './chaos-driver.js';
import {
  describeCandidates,
  expectationOf,
  fateOfCommand,
  finalStateOf,
  type OrderExpectation,
  placedOrderOf,
  type ReadBack,
  reachedCandidate,
} from './chaos-expectations.js';
import {
  type ChaosHttpSummary,
  type ChaosReport,
  emptyFaultCounts,
  type ParkedMessage,
  type RecoverySummary,
} from './chaos-report.js';
import {
  type CustomerActivity,
  type GhostOrder,
  judgeChaosStatuses,
  judgeGhostOrders,
  judgeRepeatedCreates,
  sortGhostOrders,
  type TimeWindow,
} from './chaos-verdicts.js';
import { planChaosWorkload } from './chaos-workload.js';
import { type RecoverableQueue, type RecoveryTarget, recoverOnce } from './recovery.js';

export type ChaosProgress =
  | { phase: 'placing'; placed: number; done: number; total: number }
  | { phase: 'recovering'; settled: number; total: number; pass: number };

export interface ChaosOptions {
  orders: number;
  concurrency: number;
  /** The rate the cloud's faults were planned with (`planForFaultRate`): reported, not applied here. */
  faultRate: number;
  seed: number;
  /** The fraction of orders whose cancel races their pay. */
  cancelRatio: number;
  /** How long the way back may take, from turning the faults off until every order settled. */
  settleTimeoutMs: number;
  runId?: string;
  onProgress?: (progress: ChaosProgress) => void;
  /** How often the settle conditions are checked (default 500 ms). */
  pollIntervalMs?: number;
}

/** The `sub` of the token a chaos run reads orders back with (the admin scope reads every customer's order). */
const CHAOS_RUN_ADMIN = 'chaos-run-observer';
/** The settle check reads the whole stream and the analytics table: at most this often. */
const ANALYTICS_CHECK_INTERVAL_MS = 5_000;
/** notifyCustomer's messages of a replay may arrive this long after the replay returned. */
const REPLAY_ARRIVAL_GRACE_MS = 2_000;

/**
 * A chaos run against a local cloud started in this process with faults (`startLocalCloud({ faults })`):
 * 1. with the faults on, places, pays and cancels the workload through the HTTP API, counting every fault injected;
 * 2. turns the faults off, redrives every DLQ and replays the on-failure destination (the code of `npm run redrive`
 *    and `npm run replay`), pass after pass, until every order settled and the analytics add up, or the deadline;
 * 3. reads everything back — the orders, the whole stream, the MQTT statuses, the analytics windows, the DLQs — and
 *    judges it. The report says what held; nothing here asserts.
 */
export async function runChaos(cloud: LocalCloud, options: ChaosOptions): Promise<ChaosReport> {
  const { orders, concurrency, seed, onProgress = () => {} } = options;
  const runId = options.runId ?? newRunId();
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const target = loadTargetOfCloud(cloud);
  const recoveryTarget: RecoveryTarget = {
    local: localTargetOf(cloud),
    deadLetterQueues: recoverableQueues(cloud),
  };
  const sourceQueueUrls = cloud.stack.eventSources.flatMap((source) =>
    source.kind === 'sqs' ? [source.queueUrl] : [],
  );
  const customerPrefix = `chaos-${runId}-`;
  const plans = planChaosWorkload({ runId, orders, seed, cancelRatio: options.cancelRatio });
  const regions = regionsFor(runId, orders);
  const faults = emptyFaultCounts();
  const listener = listenForFaults((fault) => {
    faults[fault.kind] += 1;
  });
  /** Minted for each read: a run of 10,000 orders outlives a token's hour. */
  const issueAdminToken = () => target.issueToken({ sub: CHAOS_RUN_ADMIN, scopes: [ADMIN_SCOPE] });
  const watch = await watchStatuses(target.mqttUrl, customerPrefix);
  try {
    // 1. Faults on: the workload.
    const startedAt = Date.now();
    const outcomes = await driveChaosOrders({
      httpUrl: target.httpUrl,
      plans,
      concurrency,
      issueToken: target.issueToken,
      onProgress: ({ created, done }) =>
        onProgress({ phase: 'placing', placed: created, done, total: orders }),
    });
    const accepted = outcomes.filter((outcome) => outcome.orderId !== undefined);
    const expectations = new Map(
      accepted.map((outcome) => [outcome.orderId as string, expectationFor(outcome)]),
    );

    // 2. Faults off: the way back.
    cloud.turnOffFaults();
    const acceptedIds = new Set(accepted.map((outcome) => outcome.orderId as string));
    const byCustomer = new Map(outcomes.map((outcome) => [outcome.plan.customerId, outcome]));
    /** The ghost orders on the stream so far, sorted by their customer's answers and what the table holds. */
    const readGhosts = async (
      readBack: (orderIds: string[]) => Promise<Map<string, ReadBack | undefined>>,
    ) => {
      const records = parseCustomerActivity(
        await readStreamData(target.clients.kinesis, target.activityStreamName),
      );
      const all = judgeGhostOrders(records, acceptedIds, customerPrefix).all;
      const ghosts = sortGhostOrders(
        all,
        (customerId) => byCustomer.get(customerId),
        await readBack(all.map(({ orderId }) => orderId)),
      );
      return { records, ghosts, extraPlaced: extraOrdersPlaced(ghosts.extraOrders, byCustomer) };
    };
    const recoveryDeadline = Date.now() + options.settleTimeoutMs;
    let analyticsCheckedAt = 0;
    const recovery = await recover({
      recoveryTarget,
      waitQuiet: () =>
        waitUntilQuiet(cloud, recoveryTarget, sourceQueueUrls, pollIntervalMs, recoveryDeadline),
      deadline: recoveryDeadline,
      pollIntervalMs,
      settled: async () => {
        const reached = reachedByStatuses(expectations, watch);
        const settledCount = [...reached.values()].filter((each) => each !== undefined).length;
        const known = expectations.size;
        if (settledCount < known || Date.now() - analyticsCheckedAt < ANALYTICS_CHECK_INTERVAL_MS) {
          return { count: settledCount, total: known, analyticsAddUp: false };
        }
        analyticsCheckedAt = Date.now();
        // Only once every order settled: the stream is read whole. Ghosts are taken as the table holds them when
        // the run ends (read then): their figures count one placed order each, either way.
        const { extraPlaced } = await readGhosts(async (orderIds) => storedAsPlaced(orderIds));
        const windows = await readWindowFigures(target.clients.dynamodb, target.analyticsTableName, regions);
        const figures = expectedFigures([...placedOrders(accepted, reached), ...extraPlaced]);
        return {
          count: settledCount,
          total: known,
          analyticsAddUp: judgeAnalytics(regions, figures, windows).mismatched.count === 0,
        };
      },
      onProgress: (settled, total, pass) => onProgress({ phase: 'recovering', settled, total, pass }),
    });

    // 3. What happened.
    const readBack = await readOrders(target.httpUrl, issueAdminToken, [...acceptedIds], concurrency);
    const reached = new Map<string, ExpectedOrder | undefined>();
    const lost: Array<LostOrder & { answers: string }> = [];
    for (const [orderId, expectation] of expectations) {
      if (expectation.kind !== 'known') {
        // Its answers commit to nothing (it is in `unsettled`): the analytics count it as it is.
        reached.set(orderId, finalStateOf(readBack.get(orderId)));
        continue;
      }
      const actual = readBack.get(orderId);
      const candidate = reachedCandidate(expectation.candidates, actual);
      reached.set(orderId, candidate);
      if (candidate === undefined) {
        lost.push({
          orderId,
          expected: describeCandidates(expectation.candidates),
          actual: actual === undefined ? 'not readable' : `${actual.status} v${actual.version}`,
          answers: describeAnswers(accepted.find((outcome) => outcome.orderId === orderId)),
        });
      }
    }
    // Downstream, each order is judged against the state it reached: an order at no allowed state against its first
    // candidate, one whose answers commit to nothing against the final state it is in (if any).
    const expected = new Map<string, ExpectedOrder>();
    for (const [orderId, expectation] of expectations) {
      const judgedAs =
        reached.get(orderId) ?? (expectation.kind === 'known' ? expectation.candidates[0] : undefined);
      if (judgedAs !== undefined) expected.set(orderId, judgedAs);
    }
    const { records, ghosts, extraPlaced } = await readGhosts((orderIds) =>
      readOrders(target.httpUrl, issueAdminToken, orderIds, concurrency),
    );
    const windows = await readWindowFigures(target.clients.dynamodb, target.analyticsTableName, regions);
    const replays: TimeWindow[] = recovery.replayWindows.map(({ from, to }) => ({
      from,
      to: to + REPLAY_ARRIVAL_GRACE_MS,
    }));
    const deadLetters = await Promise.all(
      recoveryTarget.deadLetterQueues.map(async ({ name, kind, url }) => ({
        name,
        kind,
        before: 0,
        after: await queueDepth(target.clients.sqs, url),
      })),
    );
    return {
      runId,
      seed,
      orders,
      faultRate: options.faultRate,
      concurrency,
      faults,
      http: summarizeChaosHttp(outcomes, expectations, reached),
      judged: expected.size,
      lost: failureList(lost),
      createdTwice: judgeRepeatedCreates(outcomes),
      ghosts: ghosts.unexplained,
      extraOrders: ghosts.extraOrders.length,
      stream: judgeStream(expected, records),
      statuses: judgeChaosStatuses(expected, watch.messages, replays),
      ...(watch.connectionError === undefined ? {} : { subscriberError: watch.connectionError }),
      analytics: judgeAnalytics(
        regions,
        expectedFigures([...placedOrders(accepted, reached), ...extraPlaced]),
        windows,
      ),
      recovery: recovery.summary,
      deadLetters,
      seconds: (Date.now() - startedAt) / 1000,
    };
  } finally {
    listener.close();
    await watch.close();
    recoveryTarget.local.close();
  }
}

/** An order's requests for a report, each as its attempts' statuses: `create 503→201; pay 202; cancel 409`. */
function describeAnswers(outcome: ChaosOrderOutcome | undefined): string {
  if (outcome === undefined) return 'not sent';
  const { plan, creates, pays, cancels } = outcome;
  const steps = [
    ...creates.map((request) => ['create', request] as const),
    ...pays.map((request) => ['pay', request] as const),
    ...cancels.map((request) => ['cancel', request] as const),
  ];
  const requests = steps.map(([step, { statuses }]) => `${step} ${statuses.join('→')}`).join('; ');
  return `${plan.keyed ? 'keyed' : 'no key'}: ${requests}`;
}

/** A table read that takes every order as PLACED v1 (what an extra order is), for a figure that does not depend on it. */
function storedAsPlaced(orderIds: readonly string[]): Map<string, ReadBack | undefined> {
  return new Map(orderIds.map((orderId) => [orderId, { status: 'PLACED', version: 1 }]));
}

/** The extra orders of creates retried without a key, as the analytics count them: placed, nothing more. */
function extraOrdersPlaced(
  extraOrders: readonly GhostOrder[],
  byCustomer: ReadonlyMap<string, ChaosOrderOutcome>,
): PlacedOrder[] {
  return extraOrders.map(({ orderId, customerId }) => ({
    orderId,
    region: byCustomer.get(customerId)?.plan.region ?? '',
    total: 0,
    expectation: { kind: 'unknown', reason: 'an extra order of a create retried without a key' },
  }));
}

function expectationFor(outcome: ChaosOrderOutcome): OrderExpectation {
  return expectationOf(
    fateOfCommand(outcome.pays),
    outcome.cancels.length === 0 ? undefined : fateOfCommand(outcome.cancels),
  );
}

/** Each order's candidate whose final status and seq arrived over MQTT (`undefined` while none has). */
/**
 * The final state each order reached over MQTT (`undefined` while it has not): a candidate of its answers, or —
 * for an order whose answers commit to nothing — whatever final state its highest status shows.
 */
function reachedByStatuses(
  expectations: ReadonlyMap<string, OrderExpectation>,
  watch: StatusWatch,
): Map<string, ExpectedOrder | undefined> {
  const reached = new Map<string, ExpectedOrder | undefined>();
  for (const [orderId, expectation] of expectations) {
    const statuses = watch.statusesOf(orderId);
    if (expectation.kind === 'known') {
      reached.set(
        orderId,
        expectation.candidates.find((candidate) => settledAt(candidate, statuses) !== undefined),
      );
    } else {
      const highest = statuses.reduce<StatusMessage | undefined>(
        (top, message) => (top === undefined || message.seq > top.seq ? message : top),
        undefined,
      );
      reached.set(
        orderId,
        finalStateOf(highest === undefined ? undefined : { status: highest.status, version: highest.seq }),
      );
    }
  }
  return reached;
}

function placedOrders(
  accepted: readonly ChaosOrderOutcome[],
  reached: ReadonlyMap<string, ExpectedOrder | undefined>,
): PlacedOrder[] {
  return accepted.map((outcome) =>
    placedOrderOf(
      { orderId: outcome.orderId as string, region: outcome.plan.region, total: outcome.total ?? 0 },
      reached.get(outcome.orderId as string),
      'not settled',
    ),
  );
}

/** The stack's DLQs, each with its URL and the queue it is redriven to, as this cloud provisioned them. */
function recoverableQueues(cloud: LocalCloud): RecoverableQueue[] {
  const attributesOf = (logicalId: string) => cloud.stack.resources[logicalId]?.attributes ?? {};
  return cloud.packaged.deadLetterQueues.map(({ logicalId, kind, sourceLogicalId }) => {
    const { QueueName: name, QueueUrl: url } = attributesOf(logicalId);
    if (name === undefined || url === undefined)
      throw new Error(`The local cloud provisioned no queue for ${logicalId}`);
    const sourceQueueName =
      sourceLogicalId === undefined ? undefined : attributesOf(sourceLogicalId).QueueName;
    return { name, url, kind, ...(sourceQueueName === undefined ? {} : { sourceQueueName }) };
  });
}

/**
 * Waits until the event source queues hold nothing (visible or in flight) and SNS owes no delivery, or `deadline`:
 * `undefined` once quiet, else what was still busy.
 */
async function waitUntilQuiet(
  cloud: LocalCloud,
  target: RecoveryTarget,
  queueUrls: readonly string[],
  pollIntervalMs: number,
  deadline: number,
): Promise<string | undefined> {
  const { sqs } = target.local.clients;
  for (;;) {
    const depths = await Promise.all(queueUrls.map((url) => queueDepth(sqs, url)));
    const busy = [
      ...queueUrls.flatMap((url, index) =>
        (depths[index] ?? 0) > 0 ? [`${url.split('/').at(-1)} holds ${depths[index]}`] : [],
      ),
      ...(cloud.pendingSnsDeliveries() > 0 ? [`SNS owes ${cloud.pendingSnsDeliveries()} deliveries`] : []),
    ];
    if (busy.length === 0) return undefined;
    if (Date.now() >= deadline) return busy.join(', ');
    await delay(pollIntervalMs);
  }
}

interface Recovery {
  summary: RecoverySummary;
  replayWindows: TimeWindow[];
}

/**
 * Passes of redrive and replay until `settled` says every order's final status arrived and the analytics add up (and
 * no DLQ holds anything), or the deadline passes.
 */
async function recover({
  recoveryTarget,
  waitQuiet,
  deadline,
  pollIntervalMs,
  settled,
  onProgress,
}: {
  recoveryTarget: RecoveryTarget;
  waitQuiet: () => Promise<string | undefined>;
  deadline: number;
  pollIntervalMs: number;
  settled: () => Promise<{ count: number; total: number; analyticsAddUp: boolean }>;
  onProgress: (settled: number, total: number, pass: number) => void;
}): Promise<Recovery> {
  const startedAt = Date.now();
  const owner = `chaos-run-${randomUUID()}`;
  const parked: ParkedMessage[] = [];
  const replayWindows: TimeWindow[] = [];
  let passes = 0;
  let redriven = 0;
  let replayedRanges = 0;
  let failedRanges = 0;
  let timedOut = false;
  let busy: string | undefined;
  for (;;) {
    busy = await waitQuiet();
    passes += 1;
    const pass = await recoverOnce(recoveryTarget, { owner, waitQuiet });
    for (const report of pass.redrives) {
      redriven += report.moved.length;
      parked.push(...report.parked.map((each) => ({ queue: report.queue, ...each })));
    }
    failedRanges = 0;
    for (const { report, startedAt: from, endedAt: to } of pass.replays) {
      replayedRanges += report.replayed.length;
      failedRanges += report.failed.length;
      replayWindows.push({ from, to });
    }
    const state = await settled();
    onProgress(state.count, state.total, passes);
    const emptied = pass.redrives.length === 0 && pass.replays.length === 0;
    if (state.count === state.total && state.analyticsAddUp && emptied) break;
    if (Date.now() >= deadline) {
      timedOut = true;
      break;
    }
    if (emptied) await delay(pollIntervalMs);
  }
  return {
    summary: {
      passes,
      redriven,
      replayedRanges,
      failedRanges,
      parked,
      waitedMs: Date.now() - startedAt,
      timedOut,
      ...(timedOut && busy !== undefined ? { busyAtDeadline: busy } : {}),
    },
    replayWindows,
  };
}

/** Activity records with their customer, for the ghost check; anything else on the stream is skipped. */
function parseCustomerActivity(data: readonly Uint8Array[]): CustomerActivity[] {
  return data.flatMap((bytes) => {
    try {
      const { eventId, orderId, customerId, status, seq } = JSON.parse(
        Buffer.from(bytes).toString('utf8'),
      ) as Record<string, unknown>;
      if (
        typeof eventId === 'string' &&
        typeof orderId === 'string' &&
        typeof customerId === 'string' &&
        typeof status === 'string' &&
        typeof seq === 'number'
      ) {
        return [{ eventId, orderId, customerId, status, seq }];
      }
    } catch {
      // Not an activity record.
    }
    return [];
  });
}

function summarizeChaosHttp(
  outcomes: readonly ChaosOrderOutcome[],
  expectations: ReadonlyMap<string, OrderExpectation>,
  reached: ReadonlyMap<string, ExpectedOrder | undefined>,
): ChaosHttpSummary {
  const answers: Record<string, number> = {};
  let retries = 0;
  let ambiguous = 0;
  const appliedThoughRefused = { keyed: 0, unkeyed: 0 };
  const unsettled: Array<{ index: number; orderId?: string; why: string }> = [];
  for (const outcome of outcomes) {
    for (const request of [...outcome.creates, ...outcome.pays, ...outcome.cancels]) {
      for (const status of request.statuses) answers[status] = (answers[status] ?? 0) + 1;
      retries += request.statuses.length - 1;
    }
    const { orderId, plan } = outcome;
    if (orderId === undefined) {
      const last = outcome.creates.at(-1)?.statuses.join('→') ?? 'not sent';
      unsettled.push({ index: plan.index, why: `create ${last}` });
      continue;
    }
    const expectation = expectations.get(orderId);
    if (expectation?.kind === 'unknown') {
      unsettled.push({ index: plan.index, orderId, why: expectation.reason });
      continue;
    }
    const commands = [
      ['PAID', fateOfCommand(outcome.pays)],
      ['CANCELLED', outcome.cancels.length === 0 ? undefined : fateOfCommand(outcome.cancels)],
    ] as const;
    for (const [status, fate] of commands) {
      if (fate?.kind !== 'maybe') continue;
      ambiguous += 1;
      if (reached.get(orderId)?.path.includes(status)) {
        appliedThoughRefused[plan.keyed ? 'keyed' : 'unkeyed'] += 1;
      }
    }
  }
  return {
    accepted: outcomes.filter((outcome) => outcome.orderId !== undefined).length,
    answers,
    retries,
    ambiguous,
    appliedThoughRefused,
    unsettled: failureList(unsettled),
  };
}
