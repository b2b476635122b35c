import {
  type ActivityObservation,
  type Failures,
  failureList,
  judgeStatuses,
  type StatusMessage,
  type StatusVerdict,
} from '../load/verdicts.js';
import type { ExpectedOrder } from '../load/workload.js';
import type { ChaosOrderOutcome } from './chaos-driver.js';

/**
 * The verdicts a chaos run adds to the load run's (pure): what only faults can cause — a repeated create that made
 * two orders, an order the pipeline carries although its client was told it failed, statuses a replay sent late.
 */

/** A keyed create sent twice whose answers name two orders: the key did not protect it. */
export interface CreatedTwice {
  index: number;
  orderIds: string[];
}

export function judgeRepeatedCreates(outcomes: readonly ChaosOrderOutcome[]): Failures<CreatedTwice> {
  const twice: CreatedTwice[] = [];
  for (const { plan, creates } of outcomes) {
    const orderIds = new Set(
      creates.flatMap(({ answer }) =>
        answer.status === 201 && typeof answer.body?.orderId === 'string' ? [answer.body.orderId] : [],
      ),
    );
    if (orderIds.size > 1) twice.push({ index: plan.index, orderIds: [...orderIds] });
  }
  return failureList(twice);
}

/** An activity record with the customer it belongs to. */
export interface CustomerActivity extends ActivityObservation {
  customerId: string;
}

/** An order on the stream that no create answered 201: its client was told its create failed, or got nothing. */
export interface GhostOrder {
  orderId: string;
  customerId: string;
  statuses: string;
}

/**
 * Orders of the run's customers (`customerPrefix`) on the stream that no answer named: the pipeline placed an
 * order whose client was told it had failed (a create without a key answered 503, say, whose event still went out).
 */
export function judgeGhostOrders(
  records: readonly CustomerActivity[],
  accepted: ReadonlySet<string>,
  customerPrefix: string,
): Failures<GhostOrder> & { all: GhostOrder[] } {
  const ghosts = new Map<string, GhostOrder>();
  for (const record of records) {
    if (!record.customerId.startsWith(customerPrefix) || accepted.has(record.orderId)) continue;
    const ghost = ghosts.get(record.orderId) ?? {
      orderId: record.orderId,
      customerId: record.customerId,
      statuses: '',
    };
    ghost.statuses = `${ghost.statuses} ${record.status}#${record.seq}`.trim();
    ghosts.set(record.orderId, ghost);
  }
  return { ...failureList(ghosts.values()), all: [...ghosts.values()] };
}

/** A ghost order, sorted: the documented cost of a create retried without a key, or a defect. */
export interface SortedGhosts {
  /**
   * Orders placed by an attempt of a create without a key that failed silently (no answer, a 5xx) and was sent again:
   * the client could not know (README: without the header nothing is deduplicated). In the table at PLACED v1.
   */
  extraOrders: GhostOrder[];
  /** Every other ghost: a keyed create's, one never retried, or one the orders table does not hold as PLACED v1. */
  unexplained: Failures<GhostOrder & { why: string }>;
}

/**
 * Sorts ghost orders (`judgeGhostOrders`) by what their customer's create went through (each customer of a run
 * places one order) and by what the table holds.
 */
export function sortGhostOrders(
  ghosts: readonly GhostOrder[],
  outcomeOf: (customerId: string) => ChaosOrderOutcome | undefined,
  readBack: ReadonlyMap<string, { status: string; version: number } | undefined>,
): SortedGhosts {
  const extraOrders: GhostOrder[] = [];
  const unexplained: Array<GhostOrder & { why: string }> = [];
  for (const ghost of ghosts) {
    const outcome = outcomeOf(ghost.customerId);
    const stored = readBack.get(ghost.orderId);
    const retriedSilentFailure =
      outcome !== undefined &&
      !outcome.plan.keyed &&
      outcome.creates.some(({ statuses }) =>
        statuses.slice(0, -1).some((status) => status === 0 || status >= 500),
      );
    if (stored === undefined) unexplained.push({ ...ghost, why: 'not in the orders table' });
    else if (stored.status !== 'PLACED' || stored.version !== 1) {
      unexplained.push({ ...ghost, why: `${stored.status} v${stored.version} in the orders table` });
    } else if (!retriedSilentFailure)
      unexplained.push({ ...ghost, why: 'no create of its customer was retried without a key' });
    else extraOrders.push(ghost);
  }
  return { extraOrders, unexplained: failureList(unexplained) };
}

/** The time a replay ran: what notifyCustomer publishes then is the replay's (ms since the epoch). */
export interface TimeWindow {
  from: number;
  to: number;
}

export interface ChaosStatusVerdict extends StatusVerdict {
  /** First arrivals of a status while a replay ran: counted for completeness, exempt from the order. */
  replayed: number;
  /** Statuses delivered again after a later one of their order (at least once delivery; README: keep the highest). */
  staleRepeats: number;
}

/**
 * Each order's statuses on MQTT complete, and each reaching the subscriber for the first time in seq order. Under
 * faults a status is delivered again — a Kinesis batch retried from a failed record, a consumer crash, a QoS 1
 * redelivery — possibly after a later status of its order: at least once delivery, which a subscriber handles by
 * keeping the highest seq (README). And a status whose record a consumer gave up on arrives first when the replay
 * re-sends it, after the later ones, by design. So completeness and unexpected statuses are judged on every message,
 * the order on the first arrivals outside the replays.
 */
export function judgeChaosStatuses(
  expected: ReadonlyMap<string, ExpectedOrder>,
  messages: readonly StatusMessage[],
  replays: readonly TimeWindow[],
): ChaosStatusVerdict {
  const duringReplay = (message: StatusMessage) =>
    replays.some(({ from, to }) => message.arrivedAt >= from && message.arrivedAt <= to);
  const byArrival = [...messages].sort((a, b) => a.arrivedAt - b.arrivedAt);
  const seen = new Set<string>();
  const highest = new Map<string, number>();
  const firstArrivals: StatusMessage[] = [];
  let replayed = 0;
  let staleRepeats = 0;
  for (const message of byArrival) {
    if (!expected.has(message.orderId)) continue;
    const key = `${message.orderId}#${message.seq}`;
    if (seen.has(key)) {
      if (message.seq < (highest.get(message.orderId) ?? 0)) staleRepeats += 1;
    } else {
      seen.add(key);
      if (duringReplay(message)) replayed += 1;
      else firstArrivals.push(message);
    }
    highest.set(message.orderId, Math.max(highest.get(message.orderId) ?? 0, message.seq));
  }
  const all = judgeStatuses(expected, messages);
  return { ...all, outOfOrder: judgeStatuses(expected, firstArrivals).outOfOrder, replayed, staleRepeats };
}
