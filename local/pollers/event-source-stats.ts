/** What an event source mapping delivered since it started: the figures behind `npm start`'s status lines. */
export interface EventSourceStats {
  /** Invocations of the function. */
  batches: number;
  /** Records handed to the function, counting each delivery. */
  records: number;
  /** Records that did not succeed: reported in `batchItemFailures`, or in a batch whose invocation failed. */
  failedRecords: number;
  /** Records delivered again after a failure (SQS: received before; Kinesis: part of a retried batch). */
  retries: number;
  /** Invocations that ended in a function error (thrown, timed out, crashed). */
  functionErrors: number;
  /** Invocations running now. */
  inFlight: number;
  /** SQS: pollers running now (Lambda scales them with the backlog); Kinesis: shards being read. */
  pollers: number;
}

export function emptyStats(): EventSourceStats {
  return { batches: 0, records: 0, failedRecords: 0, retries: 0, functionErrors: 0, inFlight: 0, pollers: 0 };
}
