import { addFigures, NO_FIGURES, type WindowFigures } from '../../shared/core/analytics.js';
import type { ExpectedOrder } from './workload.js';

/**
 * The pure half of a load run's verdict: each function judges what was observed (orders read back, Kinesis
 * records, MQTT messages, analytics windows) against what the HTTP answers committed the pipeline to, and names a
 * few examples of every kind of failure so that a person can follow them up.
 */

/** How many examples a failure list keeps. */
export const MAX_EXAMPLES = 5;

/** A kind of failure: how many orders (or regions) it hit, and the first few of them. */
export interface Failures<T> {
  count: number;
  examples: T[];
}

/** Collects failures, keeping the first `MAX_EXAMPLES` as examples. */
export function failureList<T>(items: Iterable<T>): Failures<T> {
  const all = [...items];
  return { count: all.length, examples: all.slice(0, MAX_EXAMPLES) };
}

/** One status on `orders/{customerId}/{orderId}/status`, with when it arrived here (ms since the epoch). */
export interface StatusMessage {
  orderId: string;
  status: string;
  seq: number;
  arrivedAt: number;
}

/** The parts of an activity record (shared/core/activity.ts) the verdict looks at. */
export interface ActivityObservation {
  eventId: string;
  orderId: string;
  status: string;
  seq: number;
}

/** An order as `GET /orders/{id}` returned it; `undefined` when it answered otherwise. */
export interface OrderReadBack {
  status: string;
  version: number;
}

const describeStatus = (status: string, version: number) => `${status} v${version}`;

export interface LostOrder {
  orderId: string;
  expected: string;
  actual: string;
}

/** Orders not at their expected final state (status and version) when read back over HTTP. */
export function judgeOrders(
  expected: ReadonlyMap<string, ExpectedOrder>,
  readBack: ReadonlyMap<string, OrderReadBack | undefined>,
): Failures<LostOrder> {
  const lost: LostOrder[] = [];
  for (const [orderId, order] of expected) {
    const actual = readBack.get(orderId);
    if (actual?.status === order.status && actual.version === order.version) continue;
    lost.push({
      orderId,
      expected: describeStatus(order.status, order.version),
      actual: actual === undefined ? 'not readable' : describeStatus(actual.status, actual.version),
    });
  }
  return failureList(lost);
}

export interface MissingSeqs {
  orderId: string;
  missing: number[];
  seen: string;
}

export interface DuplicatedChange {
  orderId: string;
  seq: number;
  eventIds: string[];
}

export interface UnexpectedChange {
  orderId: string;
  seq: number;
  status: string;
  expected: string;
}

export interface StreamVerdict {
  /** Records of this run's orders on the stream, repeats included. */
  records: number;
  /** Records whose eventId was already on the stream (a producer retry): allowed, counted once. */
  repeated: number;
  /** Orders with a seq of 1..version that is not on the stream. */
  missing: Failures<MissingSeqs>;
  /** (orderId, seq) pairs carried by two different eventIds: one status change made twice. */
  duplicated: Failures<DuplicatedChange>;
  /** Records whose seq is beyond the order's version or whose status is not the one of that seq. */
  unexpected: Failures<UnexpectedChange>;
}

/**
 * Every status change on Kinesis once per (orderId, seq): records with the same eventId are one (PutRecords is
 * retried), two eventIds for one (orderId, seq) are a change made twice, and a seq of 1..version that no record
 * carries is a change lost. Records of orders not in `expected` (other runs, other traffic) are ignored.
 */
export function judgeStream(
  expected: ReadonlyMap<string, ExpectedOrder>,
  records: readonly ActivityObservation[],
): StreamVerdict {
  const byOrder = new Map<string, Map<number, { status: string; eventIds: Set<string> }>>();
  let count = 0;
  let repeated = 0;
  const unexpected: UnexpectedChange[] = [];
  for (const record of records) {
    const order = expected.get(record.orderId);
    if (order === undefined) continue;
    count += 1;
    const seqs = byOrder.get(record.orderId) ?? new Map();
    byOrder.set(record.orderId, seqs);
    const change = seqs.get(record.seq) ?? { status: record.status, eventIds: new Set<string>() };
    seqs.set(record.seq, change);
    if (change.eventIds.has(record.eventId)) {
      repeated += 1;
      continue;
    }
    change.eventIds.add(record.eventId);
    const wanted = order.path[record.seq - 1];
    if (wanted !== record.status) {
      unexpected.push({ ...pick(record), expected: wanted ?? `nothing (version ${order.version})` });
    }
  }
  const missing: MissingSeqs[] = [];
  const duplicated: DuplicatedChange[] = [];
  for (const [orderId, order] of expected) {
    const seqs = byOrder.get(orderId) ?? new Map<number, { status: string; eventIds: Set<string> }>();
    const absent = seqsUpTo(order.version).filter((seq) => !seqs.has(seq));
    if (absent.length > 0) {
      const seen = [...seqs.entries()]
        .sort(([a], [b]) => a - b)
        .map(([seq, { status }]) => `${status}#${seq}`);
      missing.push({ orderId, missing: absent, seen: seen.join(' ') || 'nothing' });
    }
    for (const [seq, { eventIds }] of seqs) {
      if (eventIds.size > 1) duplicated.push({ orderId, seq, eventIds: [...eventIds] });
    }
  }
  return {
    records: count,
    repeated,
    missing: failureList(missing),
    duplicated: failureList(duplicated),
    unexpected: failureList(unexpected),
  };
}

export interface OutOfOrder {
  orderId: string;
  arrived: string;
}

export interface StatusVerdict {
  /** Messages of this run's orders, repeats included. */
  messages: number;
  /** A status arriving again right after itself (QoS 1 redelivery, a replayed record): allowed. */
  repeated: number;
  /** Orders with a seq of 1..version that never arrived. */
  incomplete: Failures<MissingSeqs>;
  /** Orders with a status that arrived after one of a higher seq. */
  outOfOrder: Failures<OutOfOrder>;
  /** Statuses whose seq is beyond the order's version or whose status is not the one of that seq. */
  unexpected: Failures<UnexpectedChange>;
}

/**
 * Each order's MQTT statuses complete (every seq 1..version) and in seq order, by arrival. The rule for repeats:
 * QoS 1 is at least once and notifyCustomer is retried, so a status may arrive again — allowed while nothing of a
 * higher seq arrived before it (`1 2 2 3` is in order). A status arriving after one of a higher seq (`1 2 3 2`,
 * `1 3 2`) is out of order, whether it is new or a repeat: a subscriber that trusts arrival order would show a wrong
 * status (README: a subscriber should keep the highest seq, but this verdict holds the pipeline to arrival order).
 */
export function judgeStatuses(
  expected: ReadonlyMap<string, ExpectedOrder>,
  messages: readonly StatusMessage[],
): StatusVerdict {
  const byOrder = new Map<string, StatusMessage[]>();
  let count = 0;
  for (const message of messages) {
    if (!expected.has(message.orderId)) continue;
    count += 1;
    const list = byOrder.get(message.orderId) ?? [];
    list.push(message);
    byOrder.set(message.orderId, list);
  }
  let repeated = 0;
  const incomplete: MissingSeqs[] = [];
  const outOfOrder: OutOfOrder[] = [];
  const unexpected: UnexpectedChange[] = [];
  for (const [orderId, order] of expected) {
    const arrived = [...(byOrder.get(orderId) ?? [])].sort((a, b) => a.arrivedAt - b.arrivedAt);
    const sequence = arrived.map(({ status, seq }) => `${status}#${seq}`).join(' ') || 'nothing';
    let highest = 0;
    let ordered = true;
    const seen = new Set<number>();
    for (const message of arrived) {
      if (message.seq < highest) ordered = false;
      else if (seen.has(message.seq)) repeated += 1;
      highest = Math.max(highest, message.seq);
      if (!seen.has(message.seq) && order.path[message.seq - 1] !== message.status) {
        unexpected.push({
          ...pick(message),
          expected: order.path[message.seq - 1] ?? `nothing (version ${order.version})`,
        });
      }
      seen.add(message.seq);
    }
    if (!ordered) outOfOrder.push({ orderId, arrived: sequence });
    const absent = seqsUpTo(order.version).filter((seq) => !seen.has(seq));
    if (absent.length > 0) incomplete.push({ orderId, missing: absent, seen: sequence });
  }
  return {
    messages: count,
    repeated,
    incomplete: failureList(incomplete),
    outOfOrder: failureList(outOfOrder),
    unexpected: failureList(unexpected),
  };
}

/**
 * When an order settled: the arrival of its expected final status at its final seq, or `undefined` while it has
 * not arrived.
 */
export function settledAt(order: ExpectedOrder, messages: readonly StatusMessage[]): number | undefined {
  let first: number | undefined;
  for (const message of messages) {
    if (message.seq !== order.version || message.status !== order.status) continue;
    if (first === undefined || message.arrivedAt < first) first = message.arrivedAt;
  }
  return first;
}

export interface RegionMismatch {
  region: string;
  expected: WindowFigures;
  actual: WindowFigures;
}

export interface AnalyticsVerdict {
  expected: WindowFigures;
  actual: WindowFigures;
  /** Regions whose windows, summed, differ from what the run placed, paid, cancelled and fulfilled there. */
  mismatched: Failures<RegionMismatch>;
}

/** The analytics windows of each of the run's regions, summed, against the figures the HTTP answers give. */
export function judgeAnalytics(
  regions: readonly string[],
  expected: ReadonlyMap<string, WindowFigures>,
  actual: ReadonlyMap<string, WindowFigures>,
): AnalyticsVerdict {
  let expectedTotal = NO_FIGURES;
  let actualTotal = NO_FIGURES;
  const mismatched: RegionMismatch[] = [];
  for (const region of new Set([...regions, ...expected.keys(), ...actual.keys()])) {
    const wanted = expected.get(region) ?? NO_FIGURES;
    const got = actual.get(region) ?? NO_FIGURES;
    expectedTotal = addFigures(expectedTotal, wanted);
    actualTotal = addFigures(actualTotal, got);
    if (!sameFigures(wanted, got)) mismatched.push({ region, expected: wanted, actual: got });
  }
  return { expected: expectedTotal, actual: actualTotal, mismatched: failureList(mismatched) };
}

export function sameFigures(a: WindowFigures, b: WindowFigures): boolean {
  return (
    a.placed === b.placed &&
    a.paid === b.paid &&
    a.cancelled === b.cancelled &&
    a.fulfilled === b.fulfilled &&
    a.shipped === b.shipped &&
    a.delivered === b.delivered &&
    a.revenue === b.revenue
  );
}

/**
 * The nearest-rank percentile (the smallest value with at least p % of the values at or below it): always a value
 * that was measured. `undefined` for no values.
 *
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export interface LatencySummary {
  count: number;
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
  max: number | undefined;
}

export function latencyOf(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: percentile(samples, 100),
  };
}

function seqsUpTo(version: number): number[] {
  return Array.from({ length: version }, (_, index) => index + 1);
}

function pick({ orderId, seq, status }: { orderId: string; seq: number; status: string }) {
  return { orderId, seq, status };
}
