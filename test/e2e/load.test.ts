import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { formatReport, type LoadReport } from '../../local/load/report.js';
import { runLoad } from '../../local/load/run-load.js';
import { loadTargetOfCloud } from '../../local/load/target.js';
import { startTestCloud } from '../support/local-cloud.js';

/**
 * The pipeline under concurrent load: many clients placing, paying and cancelling at once must lose nothing,
 * reorder nothing and miscount nothing. Correctness is asserted, never speed: the deadlines are generous.
 */
const ORDERS = 300;
const CONCURRENCY = 10;
const CANCEL_RATIO = 0.2;

let cloud: LocalCloud;
let report: LoadReport;

/** The report's figures and a few examples, so that a failure says which orders to follow up. */
const explain = (what: string, failures: unknown) =>
  `${what}: ${JSON.stringify(failures)} (run ${report.runId}, settled ${report.settle.settled}/${report.settle.expected})`;

beforeAll(async () => {
  ({ cloud } = await startTestCloud({ maxVisibilityTimeoutSeconds: 5 }));
  report = await runLoad(loadTargetOfCloud(cloud), {
    orders: ORDERS,
    concurrency: CONCURRENCY,
    cancelRatio: CANCEL_RATIO,
    settleTimeoutMs: 150_000,
  });
  // The whole report, for a person measuring the runtime: ORDERFLOW_TEST_LOAD_REPORT=print.
  if (process.env.ORDERFLOW_TEST_LOAD_REPORT === 'print') console.log(formatReport(report).join('\n'));
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});

describe(`${ORDERS} orders from ${CONCURRENCY} concurrent clients, ${CANCEL_RATIO * 100} % racing a cancel`, () => {
  it('answers every request as the workload expects, retries of 503 included', () => {
    // Assess
    expect(report.http.placed).toBe(ORDERS);
    expect(report.http.failures.count, explain('HTTP failures', report.http.failures)).toBe(0);
    expect(report.http.cancelSent).toBe(ORDERS * CANCEL_RATIO);
  });

  it('brings every order to its expected final state (status and version)', () => {
    // Assess
    expect(report.lost.count, explain('lost orders', report.lost)).toBe(0);
  });

  it('puts every status change on Kinesis once per (orderId, seq)', () => {
    // Assess
    expect(report.stream.missing.count, explain('changes missing on Kinesis', report.stream.missing)).toBe(0);
    expect(report.stream.duplicated.count, explain('changes made twice', report.stream.duplicated)).toBe(0);
    expect(report.stream.unexpected.count, explain('unexpected changes', report.stream.unexpected)).toBe(0);
  });

  it("tells MQTT every order's statuses, complete and in seq order", () => {
    // Assess
    expect(report.subscriberError).toBeUndefined();
    expect(report.statuses.incomplete.count, explain('statuses missing', report.statuses.incomplete)).toBe(0);
    expect(report.statuses.outOfOrder.count, explain('out of order', report.statuses.outOfOrder)).toBe(0);
    expect(report.statuses.unexpected.count, explain('unexpected statuses', report.statuses.unexpected)).toBe(
      0,
    );
  });

  it('adds the analytics windows up to what was placed, paid, cancelled and fulfilled', () => {
    // Assess
    expect(report.analytics.actual, explain('regions off', report.analytics.mismatched)).toEqual(
      report.analytics.expected,
    );
    expect(report.analytics.expected.placed).toBe(ORDERS);
  });

  it('leaves every DLQ and activity-failures empty', () => {
    // Assess
    expect(report.deadLetters.map(({ name }) => name)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('fulfillment-dlq'),
        expect.stringContaining('review-dlq'),
        expect.stringContaining('activity-failures'),
      ]),
    );
    expect(report.deadLetters.filter(({ after }) => after > 0)).toEqual([]);
  });
});
