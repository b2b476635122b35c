import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateSigningKey } from '../../local/auth/signing-key.js';
import { type ChaosReport, formatChaosReport } from '../../local/chaos/chaos-report.js';
import { runChaos } from '../../local/chaos/run-chaos.js';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.js';
import { ANY_FREE_PORTS } from '../../local/listen-ports.js';
import { FAULT_KINDS, type FaultPlan, planForFaultRate } from '../../shared/faults/fault-plan.js';

/**
 * A chaos run in `npm test`: 500 orders through a local cloud whose SDK calls fail, whose consumers crash and
 * meet poison events, whose pollers lose deletes and let visibility expire, and whose SNS delays, dead-letters and
 * duplicates deliveries — then the faults off, every DLQ redriven, the failures replayed, and every promise checked.
 * The seed fixes the workload and each injector's draws. One SDK call in twenty fails (`npm run chaos` defaults to one
 * in five: minutes, not seconds, on a 2-core machine); the rarer faults are made common enough that every kind
 * strikes in a run of this size, about ten times or more.
 */
const ORDERS = 500;
const CONCURRENCY = 20;
const FAULT_RATE = 0.05;
const SEED = 20_261_202;
const PLAN: FaultPlan = {
  ...planForFaultRate(FAULT_RATE, SEED),
  poisonEventRate: 0.01,
  visibilityExpiryRate: 0.01,
  snsDeadLetterRate: 0.01,
  snsDuplicateRate: 0.01,
};

let cloud: LocalCloud;
let report: ChaosReport;
const logs: string[] = [];

/** The report's figures and a few examples, so that a failure says which orders to follow up. */
const explain = (what: string, failures: unknown) =>
  `${what}: ${JSON.stringify(failures)} (chaos run ${report.runId}, seed ${SEED})`;

beforeAll(async () => {
  cloud = await startLocalCloud({
    packageDir: inject('packageDirs').local,
    ports: ANY_FREE_PORTS,
    legacyBroker: false,
    signingKey: await generateSigningKey(),
    functionOutput: process.env.ORDERFLOW_TEST_FUNCTION_OUTPUT === 'inherit' ? 'inherit' : 'silent',
    log: (line) => logs.push(line),
    maxVisibilityTimeoutSeconds: 5,
    faults: PLAN,
  });
  report = await runChaos(cloud, {
    orders: ORDERS,
    concurrency: CONCURRENCY,
    faultRate: FAULT_RATE,
    seed: SEED,
    cancelRatio: 0.2,
    settleTimeoutMs: 180_000,
  });
  // The whole report, for a person: ORDERFLOW_TEST_CHAOS_REPORT=print.
  if (process.env.ORDERFLOW_TEST_CHAOS_REPORT === 'print') console.log(formatChaosReport(report).join('\n'));
}, 420_000);

afterAll(async () => {
  await cloud?.stop();
});

describe(`${ORDERS} orders through a local cloud with faults (rate ${FAULT_RATE}, seed ${SEED})`, () => {
  it.each(FAULT_KINDS)('injects %s faults', (kind) => {
    // Assess
    expect(report.faults[kind]).toBeGreaterThan(0);
  });

  it('settles every request, and accepts every order', () => {
    // Assess
    expect(report.http.unsettled.count, explain('unsettled', report.http.unsettled)).toBe(0);
    expect(report.http.accepted).toBe(ORDERS);
    expect(report.http.retries).toBeGreaterThan(0);
  });

  it('loses no order: each is at a final state its answered commands allow', () => {
    // Assess
    expect(report.judged).toBe(ORDERS);
    expect(report.lost.count, explain('lost orders', report.lost)).toBe(0);
  });

  it('applies nothing twice: no second order for a repeated create, no change made twice, no ghost order', () => {
    // Assess
    expect(report.createdTwice.count, explain('created twice', report.createdTwice)).toBe(0);
    expect(report.stream.duplicated.count, explain('changes made twice', report.stream.duplicated)).toBe(0);
    expect(report.ghosts.count, explain('ghost orders', report.ghosts)).toBe(0);
    expect(report.http.appliedThoughRefused.keyed).toBe(0);
  });

  it('puts every status change on Kinesis once per (orderId, seq)', () => {
    // Assess
    expect(report.stream.missing.count, explain('changes missing on Kinesis', report.stream.missing)).toBe(0);
    expect(report.stream.unexpected.count, explain('unexpected changes', report.stream.unexpected)).toBe(0);
  });

  it('adds the analytics windows up exactly to what was placed, paid, cancelled and fulfilled', () => {
    // Assess
    expect(report.analytics.actual, explain('regions off', report.analytics.mismatched)).toEqual(
      report.analytics.expected,
    );
    expect(report.analytics.expected.placed).toBe(ORDERS);
  });

  it("tells MQTT every order's statuses, each first arriving in seq order", () => {
    // Assess
    expect(report.subscriberError).toBeUndefined();
    expect(report.statuses.incomplete.count, explain('statuses missing', report.statuses.incomplete)).toBe(0);
    expect(report.statuses.outOfOrder.count, explain('out of order', report.statuses.outOfOrder)).toBe(0);
    expect(report.statuses.unexpected.count, explain('unexpected', report.statuses.unexpected)).toBe(0);
  });

  it('brings everything back: DLQs and activity-failures empty, nothing parked, within the deadline', () => {
    // Assess
    expect(report.recovery.timedOut).toBe(false);
    expect(report.recovery.redriven + report.recovery.replayedRanges).toBeGreaterThan(0);
    expect(report.recovery.parked).toEqual([]);
    expect(report.deadLetters.map(({ kind }) => kind)).toEqual(
      expect.arrayContaining(['queue-dlq', 'subscription-dlq', 'on-failure']),
    );
    expect(report.deadLetters.filter(({ after }) => after > 0)).toEqual([]);
  });
});
