import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { PIPELINE_STATUS_PATH, type PipelineStatus } from '../../local/pipeline-status.js';
import { getJson, postJson, startTestCloud } from '../support/local-cloud.js';
import { waitFor } from '../support/wait-for.js';

let cloud: LocalCloud;

/** `GET /_local/pipeline` with no token, as a dashboard page of another origin would. */
async function pipeline(): Promise<{ status: number; headers: Headers; body: PipelineStatus }> {
  const response = await fetch(`${cloud.endpoints.http}${PIPELINE_STATUS_PATH}`, {
    headers: { origin: 'http://127.0.0.1:9999' },
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as PipelineStatus,
  };
}

beforeAll(async () => {
  ({ cloud } = await startTestCloud());
});

afterAll(async () => {
  await cloud?.stop();
});

describe('the local cloud’s pipeline status', () => {
  it('answers without a token, to any origin, with every queue of the stack and its role', async () => {
    // Act
    const { status, headers, body } = await pipeline();
    const preflight = await fetch(`${cloud.endpoints.http}${PIPELINE_STATUS_PATH}`, { method: 'OPTIONS' });

    // Assess
    expect(status).toBe(200);
    expect(headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET');
    expect(Number.isNaN(Date.parse(body.at))).toBe(false);
    const queueUrls = Object.values(cloud.stack.resources).filter((r) => r.type === 'AWS::SQS::Queue');
    expect(body.queues).toHaveLength(queueUrls.length);
    const roles = new Set(body.queues.map((queue) => queue.role));
    expect(roles).toContain('queue');
    expect(roles).toContain('dlq');
    for (const queue of body.queues) {
      expect(queue).toEqual({
        name: expect.any(String),
        role: expect.any(String),
        visible: expect.any(Number),
        inFlight: expect.any(Number),
      });
    }
    expect(body.stream.name).toMatch(/activity/);
  });

  it('moves its counters and the stream as an order is placed, paid and fulfilled', async () => {
    // Arrange
    const before = (await pipeline()).body;
    const customerId = 'cust-pipeline';

    // Act
    const placed = await postJson(
      cloud,
      '/orders',
      { customerId, currency: 'EUR', items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 1500 }] },
      { as: customerId },
    );
    const orderId = String(placed.body.orderId);
    const paid = await postJson(
      cloud,
      `/orders/${orderId}/pay`,
      { amount: placed.body.total },
      { as: customerId },
    );
    await waitFor(
      async () =>
        (await getJson(cloud, `/orders/${orderId}`, { as: customerId })).body.status === 'FULFILLED',
      { timeoutMs: 20_000, description: `${orderId} FULFILLED` },
    );
    const after = await waitFor(
      async () => {
        const { body } = await pipeline();
        return body.counters.notifications >= before.counters.notifications + 1 &&
          body.stream.records >= before.stream.records + 3
          ? body
          : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, description: 'the notification and the stream records' },
    );

    // Assess
    expect([placed.status, paid.status]).toEqual([201, 202]);
    // place, pay, and the three GETs that saw the order until it was fulfilled, at least
    expect(after.counters.httpAccepted).toBeGreaterThanOrEqual(before.counters.httpAccepted + 3);
    // OrderPlaced, OrderPaid, OrderFulfilled at least
    expect(after.counters.published).toBeGreaterThanOrEqual(before.counters.published + 3);
    expect(after.stream.records).toBeGreaterThanOrEqual(before.stream.records + 3);
  });
});
