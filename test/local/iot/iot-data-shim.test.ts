import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../local/aws-clients.js';
import { type MqttBroker, type RunningService, startMqttBroker } from '../../../local/emulators.js';
import { MAX_IOT_PAYLOAD_BYTES, startIotDataShim, topicProblem } from '../../../local/iot/iot-data-shim.js';

interface Received {
  topic: string;
  payload: string;
  qos: number;
}

let broker: MqttBroker;
let shim: RunningService;
let subscriber: MqttClient;
let iotData: IoTDataPlaneClient;
const received: Received[] = [];

/** Resolves with the first message that satisfies `predicate` (already received or still to come). */
function nextMessage(predicate: (message: Received) => boolean, timeoutMs = 5_000): Promise<Received> {
  return new Promise((resolve, reject) => {
    const found = received.find(predicate);
    if (found) return resolve(found);
    const timer = setTimeout(() => reject(new Error('no matching MQTT message arrived')), timeoutMs);
    const onMessage = (topic: string, payload: Buffer, packet: { qos: number }) => {
      const message = { topic, payload: payload.toString('utf8'), qos: packet.qos };
      if (!predicate(message)) return;
      clearTimeout(timer);
      subscriber.off('message', onMessage);
      resolve(message);
    };
    subscriber.on('message', onMessage);
  });
}

beforeAll(async () => {
  broker = await startMqttBroker(0, 0);
  shim = await startIotDataShim(broker.broker, 0);
  subscriber = await connectAsync(broker.url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
  subscriber.on('message', (topic, payload, packet) =>
    received.push({ topic, payload: payload.toString('utf8'), qos: packet.qos }),
  );
  await subscriber.subscribeAsync('orders/+/+/status', { qos: 1 });
  iotData = new IoTDataPlaneClient({
    region: 'eu-west-1',
    endpoint: shim.endpoint,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  iotData.destroy();
  await subscriber.endAsync();
  await shim.close();
  await broker.close();
});

describe('the IoT data-plane publish shim', () => {
  it('delivers a PublishCommand of the real SDK to an MQTT subscriber at QoS 1', async () => {
    // Prepare
    const payload = JSON.stringify({
      orderId: 'o-1',
      status: 'PAID',
      seq: 2,
      occurredAt: '2026-11-25T12:00:00.000Z',
    });

    // Act
    await iotData.send(new PublishCommand({ topic: 'orders/cust-42/o-1/status', qos: 1, payload }));
    const message = await nextMessage((candidate) => candidate.topic === 'orders/cust-42/o-1/status');

    // Assess
    expect(message).toEqual({ topic: 'orders/cust-42/o-1/status', payload, qos: 1 });
  });

  it('also delivers to a subscriber over MQTT on WebSocket', async () => {
    // Prepare
    const wsSubscriber = await connectAsync(broker.wsUrl, { protocolVersion: 4, reconnectPeriod: 0 });
    const arrived = new Promise<string>((resolve) => wsSubscriber.on('message', (topic) => resolve(topic)));
    await wsSubscriber.subscribeAsync('analytics/orders/summary', { qos: 1 });

    // Act
    await iotData.send(
      new PublishCommand({ topic: 'analytics/orders/summary', qos: 1, payload: '{"placed":1}' }),
    );

    // Assess
    await expect(arrived).resolves.toBe('analytics/orders/summary');
    await wsSubscriber.endAsync();
  });

  it.each([
    ['a + wildcard', 'orders/+/o-1/status'],
    ['a # wildcard', 'orders/#'],
    ['an empty level', 'orders//o-1/status'],
  ])('refuses a topic with %s as InvalidRequestException and publishes nothing', async (_, topic) => {
    // Act
    const publishing = iotData.send(new PublishCommand({ topic, qos: 1, payload: '{}' }));

    // Assess
    await expect(publishing).rejects.toMatchObject({ name: 'InvalidRequestException' });
    expect(received.some((message) => message.topic === topic)).toBe(false);
  });

  it('refuses a payload over IoT Core’s 128 KB', async () => {
    // Act
    const publishing = iotData.send(
      new PublishCommand({
        topic: 'orders/c/o/status',
        qos: 1,
        payload: 'x'.repeat(MAX_IOT_PAYLOAD_BYTES + 1),
      }),
    );

    // Assess
    await expect(publishing).rejects.toMatchObject({ $metadata: { httpStatusCode: 413 } });
  });
});

describe('topicProblem', () => {
  it.each([
    ['orders/cust-42/o-1/status', undefined],
    ['', 'the topic is empty'],
    ['orders/+/x', 'a topic to publish to cannot contain + or #'],
    ['orders/#', 'a topic to publish to cannot contain + or #'],
    ['/orders', 'the topic has an empty level'],
    ['orders/', 'the topic has an empty level'],
    ['a'.repeat(257), 'the topic is longer than 256 bytes'],
  ])('says of %j: %s', (topic, problem) => {
    expect(topicProblem(topic)).toBe(problem);
  });
});
