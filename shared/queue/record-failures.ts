import { describeError } from '../core/errors.js';
import type { Log } from '../core/ports.js';

/** The message of every failed-record log entry, whichever the consumer: one log filter finds them all. */
export const RECORD_FAILED = 'Record failed; it will be delivered again';

/** What a failed-record log entry says of the record: ids, seq and status, never the payload. */
export interface RecordIdentity {
  orderId: string;
  seq: number;
  eventId: string;
  status?: string;
  correlationId?: string | undefined;
}

/**
 * How the records of one event source are named in the log. Each kind lives beside its parser
 * (`ORDER_EVENT_RECORDS` in `order-event-record.ts`, `ACTIVITY_RECORDS` in `activity-record.ts`): a schema is built
 * when its module loads, so a consumer imports only the one it reads.
 */
export interface RecordKind<R> {
  /** The field that carries the record's id in the log entry, as the batch response names it. */
  idField: 'messageId' | 'sequenceNumber';
  idOf(record: R): string;
  /** The record's order, seq and event; `undefined` when it cannot be parsed. */
  identify(record: R): RecordIdentity | undefined;
  /** The reason of a reported record for which none was noted. */
  unexplained(record: R): string;
  /** What the event source does next with a reported record, appended to every reason. */
  next?: string;
}

/**
 * Why the records of one invocation failed: reasons are noted where each failure happens (a record handler's error,
 * a write after the batch), and `report` logs one WARN entry per record the batch response reports, so that an
 * operator can tell why an order is stuck.
 */
export class RecordFailures<R> {
  readonly #reasons = new Map<string, string>();

  constructor(private readonly kind: RecordKind<R>) {}

  /** Notes why a record failed. The first reason is kept: it is the cause, and what follows is its consequence. */
  note(recordId: string, reason: string): void {
    if (!this.#reasons.has(recordId)) this.#reasons.set(recordId, reason);
  }

  /** The record handler that notes the reason of whatever `handler` throws, then lets the error go on. */
  watch(
    handler: (record: R) => Promise<void>,
    reasonOf: (error: unknown) => string = describeError,
  ): (record: R) => Promise<void> {
    return async (record) => {
      try {
        await handler(record);
      } catch (error) {
        this.note(this.kind.idOf(record), reasonOf(error));
        throw error;
      }
    };
  }

  /** Logs each reported record once, in the response's order, and returns the response. */
  report<T extends { batchItemFailures: Array<{ itemIdentifier: string }> }>(
    log: Pick<Log, 'warn'>,
    records: readonly R[],
    response: T,
  ): T {
    const byId = new Map(records.map((record) => [this.kind.idOf(record), record]));
    const reported = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    for (const recordId of reported) {
      const record = byId.get(recordId);
      const identity = record === undefined ? undefined : this.kind.identify(record);
      let reason =
        this.#reasons.get(recordId) ?? (record === undefined ? 'unknown' : this.kind.unexplained(record));
      if (identity === undefined) reason = `the record could not be parsed; ${reason}`;
      if (this.kind.next !== undefined) reason = `${reason.replace(/\.$/, '')} (${this.kind.next})`;
      log.warn(RECORD_FAILED, {
        [this.kind.idField]: recordId,
        // Set even when unknown: a key an earlier record appended to the logger must not name this one.
        orderId: identity?.orderId,
        seq: identity?.seq,
        eventId: identity?.eventId,
        ...(identity?.status === undefined ? {} : { status: identity.status }),
        ...(identity?.correlationId === undefined ? {} : { correlationId: identity.correlationId }),
        reason,
      });
    }
    return response;
  }
}
