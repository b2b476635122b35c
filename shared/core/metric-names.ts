/**
 * The metrics orderflow emits (namespace `orderflow`, dimensions `service` and `stage`; the stream and queue
 * consumers add `consumer`, a refused request `problem`). Never an id as a dimension: one order is a log line,
 * not a metric.
 */
export const METRIC_NAMES = [
  // The intake
  'OrdersPlaced',
  'OrdersPaid',
  'OrdersCancelled',
  'IdempotentReplays',
  /** A 4xx, with the dimension `problem` (its problem type, e.g. `invalid-request`). */
  'RequestsRefused',
  /** A 5xx: the request can be retried (503) or failed (500). */
  'RequestsFailed',
  /** An SNS publish that failed (its event stays pending and goes out with the order's next command). */
  'PublishFailures',
  // The consumers
  'OrdersFulfilled',
  'RecordsProcessed',
  'DuplicatesDropped',
  'GapsRetried',
  'DeadLettered',
  'BatchItemFailures',
  /** Milliseconds between a Kinesis record's arrival on the stream and its processing (the batch's oldest). */
  'IteratorAge',
  'NotificationsPublished',
  // Redrive
  'MessagesRedriven',
  'MessagesParked',
  // The legacy ERP bridge (its placed orders count as `OrdersPlaced`, with the dimension `consumer`)
  /** An ERP message refused for good, into `legacy.orders.rejected`. */
  'LegacyMessagesRejected',
  /** A status change of an ERP order, confirmed by the broker on `orderflow.status`. */
  'LegacyStatusesPublished',
  // Warehouse scans (the IoT rules engine)
  /** A scan that moved its order on (SHIPPED or DELIVERED). */
  'ScansApplied',
  /** A scan sent again by its device: nothing changed. */
  'ScansRepeated',
  /** A scan that can never be applied, told back to its site. */
  'ScansRefused',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** Where the code counts what happened: Powertools Metrics (EMF) in a function, a recorder in a test. */
export interface MetricsRecorder {
  /** Adds `value` (default 1) to a count of this invocation. */
  count(name: MetricName, value?: number): void;
}

/** For code paths that record nothing (a command line tool). */
export const NO_METRICS: MetricsRecorder = { count: () => undefined };
