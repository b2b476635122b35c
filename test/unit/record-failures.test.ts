import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ORDER_EVENT_RECORDS } from '../../shared/queue/order-event-record.js';
import { RecordFailures } from '../../shared/queue/record-failures.js';
import { RECORD_FAILED } from '../support/failure-log.js';
import { orderEventBody, orderEventRecord, sqsRecord } from '../support/sqs-event.js';

const ORDER_A = '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b';
const ORDER_B = '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a';
const A1 = orderEventBody({ type: 'OrderPlaced', orderId: ORDER_A });
const B1 = orderEventBody({ type: 'OrderPlaced', orderId: ORDER_B });

/** A logger at WARN, as a function has one, and the JSON lines it prints. */
function printingLogger(): { logger: Logger; printed: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  const logger = new Logger({ serviceName: 'orderflow', logLevel: 'WARN' });
  return {
    logger,
    printed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('RecordFailures (one WARN entry per failed record, with why)', () => {
  it('prints no order of another record for a record that could not be parsed', () => {
    // Prepare: the handler appended the keys of the record before
    const { logger, printed } = printingLogger();
    logger.appendKeys({ orderId: ORDER_B, eventId: B1.event.eventId });
    const malformed = sqsRecord({ body: 'not json', groupId: ORDER_A });
    const failures = new RecordFailures(ORDER_EVENT_RECORDS);
    failures.note(malformed.messageId, 'InvalidEventError: Not an orderflow event: the body is not JSON');

    // Act
    failures.report(logger, [malformed], { batchItemFailures: [{ itemIdentifier: malformed.messageId }] });

    // Assess
    const [entry, ...others] = printed();
    expect(others).toEqual([]);
    expect(entry).toMatchObject({
      level: 'WARN',
      message: RECORD_FAILED,
      messageId: malformed.messageId,
      reason:
        'the record could not be parsed; InvalidEventError: Not an orderflow event: the body is not JSON',
    });
    expect(entry).not.toHaveProperty('orderId');
    expect(entry).not.toHaveProperty('eventId');
    expect(entry).not.toHaveProperty('seq');
  });

  it('prints the ids and seq of a parsed record over the keys another record appended, and never its payload', () => {
    // Prepare
    const { logger, printed } = printingLogger();
    logger.appendKeys({ orderId: ORDER_B, eventId: B1.event.eventId });
    const record = orderEventRecord(A1);
    const failures = new RecordFailures(ORDER_EVENT_RECORDS);
    failures.note(record.messageId, 'the first cause');

    // Act
    failures.report(logger, [record], { batchItemFailures: [{ itemIdentifier: record.messageId }] });

    // Assess
    const [entry] = printed();
    expect(entry).toMatchObject({
      messageId: record.messageId,
      orderId: ORDER_A,
      seq: 1,
      eventId: A1.event.eventId,
      reason: 'the first cause',
    });
    expect(JSON.stringify(entry)).not.toContain('cust_42');
    expect(JSON.stringify(entry)).not.toContain('SKU-1');
  });

  it('keeps the first reason noted for a record and logs a record reported twice once', () => {
    // Prepare
    const { logger, printed } = printingLogger();
    const record = orderEventRecord(A1);
    const failures = new RecordFailures(ORDER_EVENT_RECORDS);
    failures.note(record.messageId, 'the first cause');
    failures.note(record.messageId, 'a consequence');

    // Act
    failures.report(logger, [record], {
      batchItemFailures: [{ itemIdentifier: record.messageId }, { itemIdentifier: record.messageId }],
    });

    // Assess
    expect(printed().map((entry) => entry.reason)).toEqual(['the first cause']);
  });

  it('notes what a watched record handler throws and throws it on to the batch processor', async () => {
    // Prepare
    const { logger, printed } = printingLogger();
    const record = orderEventRecord(A1);
    const failures = new RecordFailures(ORDER_EVENT_RECORDS);
    const thrown = new Error('the broker is away');
    const handle = failures.watch(() => Promise.reject(thrown));

    // Act
    const outcome = handle(record);

    // Assess
    await expect(outcome).rejects.toBe(thrown);
    failures.report(logger, [record], { batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(printed().map((entry) => entry.reason)).toEqual(['Error: the broker is away']);
  });
});
