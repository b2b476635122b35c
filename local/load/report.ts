import type { WindowFigures } from '../../shared/core/analytics.js';
import type { DeadLetterKind } from '../template/packaged-stack.js';
import type {
  AnalyticsVerdict,
  Failures,
  LatencySummary,
  LostOrder,
  StatusVerdict,
  StreamVerdict,
} from './verdicts.js';

/** An HTTP request of the workload that did not get an answer the workload expects. */
export interface HttpFailure {
  /** The order's index in the run; its orderId when the create was answered. */
  index: number;
  orderId?: string;
  step: 'create' | 'pay' | 'cancel';
  answer: string;
}

export interface HttpSummary {
  /** Creates answered 201. */
  placed: number;
  payAccepted: number;
  payRefused: number;
  cancelSent: number;
  cancelAccepted: number;
  cancelRefused: number;
  /** Requests sent again after a 503 or a broken connection (same Idempotency-Key). */
  retries: number;
  /** Orders whose answers commit the pipeline to no final state: a 5xx that persisted, an unexpected 4xx. */
  failures: Failures<HttpFailure>;
}

export interface DeadLetterDepth {
  name: string;
  kind: DeadLetterKind;
  /** Messages visible + in flight when the run started, and once it settled. */
  before: number;
  after: number;
}

export interface LoadReport {
  runId: string;
  orders: number;
  concurrency: number;
  cancelRatio: number;
  regions: string[];
  http: HttpSummary;
  settle: {
    /** Orders whose expected final status arrived on MQTT. */
    settled: number;
    /** Orders with an expected final state (placed, and answered as the workload expects). */
    expected: number;
    /** The settle deadline passed before every order settled and the analytics added up. */
    timedOut: boolean;
    waitedMs: number;
  };
  /** Orders not at their expected final state (status, version) via `GET /orders/{id}`. */
  lost: Failures<LostOrder>;
  stream: StreamVerdict;
  statuses: StatusVerdict;
  /**
   * Set when the run's own MQTT connection broke: a clean session misses what was published meanwhile, so missing
   * statuses may be the subscriber's, not the pipeline's.
   */
  subscriberError?: string;
  analytics: AnalyticsVerdict;
  deadLetters: DeadLetterDepth[];
  /**
   * End to end: the settled orders over the time from the first POST to the last order settled (to the end of the
   * settle wait when some never settled).
   */
  throughput: { orders: number; seconds: number; ordersPerSecond: number };
  /** From sending an order's POST /orders to its FULFILLED status arriving on MQTT. */
  postToFulfilledMs: LatencySummary;
}

export interface Verdict {
  name: string;
  holds: boolean;
  detail: string;
}

/** The verdicts of a run, one per property; the run passes when every one holds. */
export function verdictsOf(report: LoadReport): Verdict[] {
  const { http, lost, stream, statuses, analytics, deadLetters } = report;
  const grown = deadLetters.filter(({ before, after }) => after > before);
  return [
    {
      name: 'every request answered',
      holds: http.failures.count === 0,
      detail: `${http.failures.count} orders without an expected answer`,
    },
    {
      name: 'no order lost',
      holds: lost.count === 0,
      detail: `${lost.count} of ${report.settle.expected} orders not at their expected final state`,
    },
    {
      name: 'every status change on Kinesis once',
      holds: stream.missing.count + stream.duplicated.count + stream.unexpected.count === 0,
      detail: `${stream.missing.count} orders missing changes, ${stream.duplicated.count} changes made twice, ${stream.unexpected.count} unexpected`,
    },
    {
      name: 'every status on MQTT, in order',
      holds: statuses.incomplete.count + statuses.outOfOrder.count + statuses.unexpected.count === 0,
      detail: `${statuses.incomplete.count} orders missing statuses, ${statuses.outOfOrder.count} out of order, ${statuses.unexpected.count} unexpected`,
    },
    {
      name: 'analytics add up',
      holds: analytics.mismatched.count === 0,
      detail: `expected ${figures(analytics.expected)}; windows ${figures(analytics.actual)}`,
    },
    {
      name: 'no new dead letters',
      holds: grown.length === 0,
      detail:
        grown.length === 0
          ? `${deadLetters.length} queues checked`
          : grown.map(({ name, before, after }) => `${name} +${after - before}`).join(', '),
    },
  ];
}

export function passed(report: LoadReport): boolean {
  return verdictsOf(report).every((verdict) => verdict.holds);
}

/** The report for a person: figures first, then a few examples of each failure, then one line per verdict. */
export function formatReport(report: LoadReport): string[] {
  const { http, settle, stream, statuses, analytics, throughput, postToFulfilledMs: latency } = report;
  const lines = [
    `load run ${report.runId}: ${report.orders} orders, ${report.concurrency} clients, cancel ratio ${report.cancelRatio}, regions ${report.regions.join(' ')}`,
    `http         placed ${http.placed}/${report.orders}; pay 202 ×${http.payAccepted}, 409 ×${http.payRefused}; cancel sent ${http.cancelSent}: 202 ×${http.cancelAccepted}, 409 ×${http.cancelRefused}; retries ${http.retries}; failed ${http.failures.count}`,
    `settled      ${settle.settled}/${settle.expected} in ${seconds(settle.waitedMs)} s after the last order${settle.timedOut ? ' (settle deadline passed)' : ''}`,
    `throughput   ${throughput.ordersPerSecond.toFixed(1)} orders/s (${throughput.orders} orders settled in ${throughput.seconds.toFixed(1)} s, first POST to last settled)`,
    `latency      POST→FULFILLED p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)} (${latency.count} orders)`,
    `lost         ${report.lost.count} orders not at their expected final state`,
    `kinesis      ${stream.records} records (${stream.repeated} repeats of one eventId); ${stream.missing.count} orders missing changes, ${stream.duplicated.count} (orderId, seq) with two eventIds, ${stream.unexpected.count} unexpected`,
    `mqtt         ${statuses.messages} statuses (${statuses.repeated} repeats); ${statuses.incomplete.count} orders missing statuses, ${statuses.outOfOrder.count} out of order, ${statuses.unexpected.count} unexpected`,
    ...(report.subscriberError === undefined
      ? []
      : [`             (the run's MQTT connection broke: ${report.subscriberError})`]),
    `analytics    expected ${figures(analytics.expected)}`,
    `             windows  ${figures(analytics.actual)}`,
    `dead letters ${report.deadLetters.map(({ name, before, after }) => `${name} ${before}→${after}`).join(', ') || 'none in the stack'}`,
  ];
  const examples: Array<[string, Failures<unknown>]> = [
    ['http failure', http.failures],
    ['lost', report.lost],
    ['kinesis missing', stream.missing],
    ['kinesis duplicated', stream.duplicated],
    ['kinesis unexpected', stream.unexpected],
    ['mqtt missing', statuses.incomplete],
    ['mqtt out of order', statuses.outOfOrder],
    ['mqtt unexpected', statuses.unexpected],
    ['analytics region', analytics.mismatched],
  ];
  for (const [label, failures] of examples) {
    for (const example of failures.examples) lines.push(`  e.g. ${label}: ${JSON.stringify(example)}`);
  }
  for (const verdict of verdictsOf(report)) {
    lines.push(`${verdict.holds ? 'PASS' : 'FAIL'}  ${verdict.name} (${verdict.detail})`);
  }
  return lines;
}

/** Analytics figures on one line: `placed 3, paid 2, cancelled 1, fulfilled 1, revenue 4200`. */
export function figures(value: WindowFigures): string {
  return `placed ${value.placed}, paid ${value.paid}, cancelled ${value.cancelled}, fulfilled ${value.fulfilled}, revenue ${value.revenue}`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value)} ms`;
}

function seconds(value: number): string {
  return (value / 1000).toFixed(1);
}
