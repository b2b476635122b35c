import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../shared/core/errors.js';
import {
  headerValue,
  type RabbitMqMessage,
  readRabbitMqEvent,
  splitQueueKey,
} from '../../shared/queue/rabbitmq-event.js';

const bytesOf = (text: string) => ({ bytes: [...Buffer.from(text, 'utf8')] });
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** A message as Lambda's event source mapping hands it over (every absent property `null`). */
const message = (body: string, messageId: string | null, redelivered = false): RabbitMqMessage => ({
  basicProperties: {
    contentType: 'application/json',
    contentEncoding: null,
    headers: { source: bytesOf('ERP-7'), attempt: 2, urgent: true, tags: [bytesOf('a'), bytesOf('b')] },
    deliveryMode: 2,
    priority: null,
    correlationId: 'corr-1',
    replyTo: null,
    expiration: null,
    messageId,
    timestamp: 'Dec 3, 2026, 8:31:24 AM',
    type: null,
    userId: 'orderflow',
    appId: null,
    clusterId: null,
    bodySize: Buffer.byteLength(body),
  },
  redelivered,
  data: base64(body),
});

describe('reading an aws:rmq event', () => {
  it('decodes base64 bodies and byte headers, queue by queue, each in delivery order', () => {
    // Prepare
    const event = {
      eventSource: 'aws:rmq',
      eventSourceArn: 'arn:aws:mq:eu-west-1:123456789012:broker:orderflow:b-1',
      rmqMessagesByQueue: {
        'legacy.orders::/': [message('{"n":1}', 'm-1'), message('{"n":2}', null, true)],
        'legacy.orders.eu::erp': [message('{"n":3} ünïcode', 'm-3')],
      },
    };

    // Act
    const messages = readRabbitMqEvent(event);

    // Assess
    expect(
      messages.map(({ queue, virtualHost, messageId, redelivered, body }) => ({
        queue,
        virtualHost,
        messageId,
        redelivered,
        body,
      })),
    ).toEqual([
      { queue: 'legacy.orders', virtualHost: '/', messageId: 'm-1', redelivered: false, body: '{"n":1}' },
      { queue: 'legacy.orders', virtualHost: '/', messageId: undefined, redelivered: true, body: '{"n":2}' },
      {
        queue: 'legacy.orders.eu',
        virtualHost: 'erp',
        messageId: 'm-3',
        redelivered: false,
        body: '{"n":3} ünïcode',
      },
    ]);
    expect(messages[0]?.headers).toEqual({ source: 'ERP-7', attempt: 2, urgent: true, tags: ['a', 'b'] });
    expect(messages[0]?.correlationId).toBe('corr-1');
  });

  it('reads any UTF-8 text back from its bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(headerValue(bytesOf(text))).toBe(text);
      }),
    );
  });

  it('splits a queue key at its last "::", so that a queue name may hold "::" itself', () => {
    expect(splitQueueKey('legacy.orders::/')).toEqual({ queue: 'legacy.orders', virtualHost: '/' });
    expect(splitQueueKey('a::b::vhost')).toEqual({ queue: 'a::b', virtualHost: 'vhost' });
  });

  it.each([
    ['an SQS event', { Records: [] }],
    ['null', null],
    ['no messages by queue', { eventSource: 'aws:rmq', eventSourceArn: 'arn' }],
    ['a key without a virtual host', { eventSource: 'aws:rmq', rmqMessagesByQueue: { 'legacy.orders': [] } }],
    ['messages that are not a list', { eventSource: 'aws:rmq', rmqMessagesByQueue: { 'q::/': {} } }],
    [
      'a message without data',
      { eventSource: 'aws:rmq', rmqMessagesByQueue: { 'q::/': [{ basicProperties: {} }] } },
    ],
  ])('refuses %s as an invalid event', (_case, event) => {
    expect(() => readRabbitMqEvent(event)).toThrow(InvalidEventError);
  });
});
