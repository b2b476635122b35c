import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLocalToken } from '../../local/auth/local-token.js';
import { generateSigningKey, type LocalSigningKey } from '../../local/auth/signing-key.js';
import type { LocalCloud } from '../../local/cloud.js';
import { sendJson } from '../../local/load/http-driver.js';
import { theJwtAuthorizer } from '../../local/template/packaged-stack.js';
import {
  getJson,
  type JsonAnswer,
  postJson,
  refOf,
  startTestCloud,
  tapTopic,
} from '../support/local-cloud.js';

let cloud: LocalCloud;
let trusted: LocalSigningKey;

const orderFor = (customerId: string) => ({
  customerId,
  currency: 'EUR',
  items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 1200 }],
});

async function place(customerId: string): Promise<string> {
  const placed = await postJson(cloud, '/orders', orderFor(customerId), { as: customerId });
  expect(placed.status).toBe(201);
  return String(placed.body.orderId);
}

/** A raw request with exactly this Authorization header. */
async function withAuthorization(path: string, authorization: string | undefined): Promise<JsonAnswer> {
  const response = await fetch(`${cloud.endpoints.http}${path}`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

beforeAll(async () => {
  trusted = await generateSigningKey();
  ({ cloud } = await startTestCloud({ signingKey: trusted }));
});

afterAll(async () => {
  await cloud?.stop();
});

describe('the JWT authorizer in front of the local HTTP API', () => {
  it('answers 401 to a request without a token, with a token of another key, and with an expired one', async () => {
    // Prepare
    const orderId = await place('cust-auth-owner');
    const { issuer, audience } = theJwtAuthorizer(cloud.packaged);
    const stranger = await generateSigningKey();
    const foreign = await signLocalToken(stranger, {
      sub: 'cust-auth-owner',
      issuer,
      audience: audience[0] ?? '',
    });
    const expired = await signLocalToken(trusted, {
      sub: 'cust-auth-owner',
      issuer,
      audience: audience[0] ?? '',
      expiresInSeconds: -60,
    });

    // Act
    const answers = await Promise.all([
      withAuthorization(`/orders/${orderId}`, undefined),
      withAuthorization(`/orders/${orderId}`, `Bearer ${foreign}`),
      withAuthorization(`/orders/${orderId}`, `Bearer ${expired}`),
      postJson(cloud, '/orders', orderFor('cust-auth-owner'), null),
    ]);

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ message: 'Unauthorized' });
      expect(answer.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
  });

  it('lets a customer read its own order, answers 403 to another customer, and lets orders/admin read any', async () => {
    // Prepare
    const orderId = await place('cust-auth-reader');

    // Act
    const own = await getJson(cloud, `/orders/${orderId}`, { as: 'cust-auth-reader' });
    const other = await getJson(cloud, `/orders/${orderId}`, { as: 'cust-auth-other' });
    const admin = await getJson(cloud, `/orders/${orderId}`, { as: 'support-1', scopes: ['orders/admin'] });

    // Assess
    expect(own.status).toBe(200);
    expect(other.status).toBe(403);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect(admin.status).toBe(200);
    expect(admin.body).toEqual(own.body);
  });

  it('keeps 10 concurrent customers apart: each one’s pay and cancel of another’s order is a 403 that publishes nothing', async () => {
    // Prepare
    const tap = await tapTopic(cloud, refOf(cloud, 'OrderEventsTopic'), 'e2e-authorization-tap');
    const customers = Array.from({ length: 10 }, (_, index) => `cust-auth-c${index}`);
    const orderIds = await Promise.all(customers.map(place));
    await tap.receive(customers.length, { timeoutMs: 20_000 });

    const tokens = await Promise.all(customers.map((sub) => cloud.issueToken({ sub })));

    // Act: every customer tries every other customer's order, all at once (sent again on a 503, as a client does).
    const attempts = await Promise.all(
      customers.flatMap((_, index) =>
        orderIds
          .filter((_, owner) => owner !== index)
          .map((orderId, attempt) =>
            sendJson(
              `${cloud.endpoints.http}/orders/${orderId}/${attempt % 2 === 0 ? 'pay' : 'cancel'}`,
              attempt % 2 === 0 ? { amount: 1200 } : { reason: 'not mine' },
              { token: tokens[index] as string },
            ),
          ),
      ),
    );
    const afterwards = await Promise.all(
      orderIds.map((orderId, index) =>
        getJson(cloud, `/orders/${orderId}`, { as: customers[index] as string }),
      ),
    );

    // Assess
    expect(attempts).toHaveLength(90);
    expect(attempts.map(({ status }) => status)).toEqual(attempts.map(() => 403));
    expect(afterwards.map(({ body }) => [body.status, body.version])).toEqual(
      orderIds.map(() => ['PLACED', 1]),
    );
    expect(await tap.receive(1, { timeoutMs: 2_000 })).toEqual([]);
  }, 90_000);
});
