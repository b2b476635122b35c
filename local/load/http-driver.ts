import { setTimeout as delay } from 'node:timers/promises';
import type { OrderPlan } from './workload.js';

/** An answer of the HTTP API, after retries. `status` 0: no answer at all (the connection failed every time). */
export interface HttpAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
  /** How many times the request was sent again (after a 503 or a broken connection). */
  retries: number;
  /** Why there was no answer, when `status` is 0. */
  error?: string;
}

/** What happened to one order of the workload over HTTP. */
export interface OrderOutcome {
  plan: OrderPlan;
  /** When its `POST /orders` was first sent (ms since the epoch). */
  postSentAt: number;
  create: HttpAnswer;
  /** Set when the create was answered 201. */
  orderId?: string;
  total?: number;
  pay?: HttpAnswer;
  cancel?: HttpAnswer;
}

/** How often a request is sent when it gets a 503 or no answer; the same Idempotency-Key every time. */
export const MAX_ATTEMPTS = 5;
/** A Retry-After longer than this is shortened: the load run measures the pipeline, it does not sit out outages. */
const MAX_RETRY_DELAY_MS = 2_000;

/** How a request is sent: with the sender's bearer token and, for a command that may be retried, its key. */
export interface RequestCredentials {
  token: string;
  /** Sent as `Idempotency-Key`; none: the header is left out. */
  idempotencyKey?: string;
}

/** A token for a customer (the token's `sub`), or with more scopes (`orders/admin` reads any order). */
export type IssueToken = (claims: { sub: string; scopes?: readonly string[] }) => Promise<string>;

/**
 * Sends a JSON request, again on a 503 (after its Retry-After, shortened) or a broken connection, up to
 * `MAX_ATTEMPTS` times: every command carries an Idempotency-Key, so a repeat is recognised, never applied twice.
 */
export async function sendJson(
  url: string,
  body: unknown,
  { token, idempotencyKey }: RequestCredentials,
  maxAttempts = MAX_ATTEMPTS,
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
  };
  let last: HttpAnswer = { status: 0, body: undefined, retries: 0 };
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    let retryAfterMs = 100 * 2 ** (attempt - 1);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      const text = await response.text();
      last = { status: response.status, body: parseObject(text), retries: attempt - 1 };
      if (response.status !== 503) return last;
      const retryAfter = Number(response.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = retryAfter * 1000;
    } catch (error) {
      last = { status: 0, body: undefined, retries: attempt - 1, error: describeError(error) };
    }
    if (attempt < maxAttempts) await delay(Math.min(retryAfterMs, MAX_RETRY_DELAY_MS));
  }
  return last;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `fetch failed` says nothing: the cause (ECONNREFUSED, ECONNRESET, …) does. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${current.message} (${code})` : current.message);
  }
  return parts.join(': ') || String(error);
}

export interface DriveProgress {
  /** Orders whose create was answered (any way). */
  created: number;
  /** Orders whose pay (and cancel) were answered, or that stopped at their create. */
  done: number;
}

/**
 * Places the workload with `concurrency` clients, each a loop taking the next order off a shared counter: create
 * (201), then pay — raced with a cancel (Promise.all) for the orders planned to cancel. Each order is sent as its
 * customer, with a token `issueToken` makes once per customer.
 */
export async function driveOrders({
  httpUrl,
  plans,
  concurrency,
  issueToken,
  now = Date.now,
  onProgress = () => {},
}: {
  httpUrl: string;
  plans: readonly OrderPlan[];
  concurrency: number;
  issueToken: IssueToken;
  now?: () => number;
  onProgress?: (progress: DriveProgress) => void;
}): Promise<OrderOutcome[]> {
  const outcomes: OrderOutcome[] = new Array(plans.length);
  const progress: DriveProgress = { created: 0, done: 0 };
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (customerId: string) => {
    let token = tokens.get(customerId);
    if (token === undefined) {
      token = issueToken({ sub: customerId });
      tokens.set(customerId, token);
    }
    return token;
  };
  let next = 0;
  const client = async () => {
    for (let index = next++; index < plans.length; index = next++) {
      const plan = plans[index] as OrderPlan;
      const token = await tokenOf(plan.customerId);
      outcomes[index] = await driveOrder(httpUrl, plan, token, now, () => {
        progress.created += 1;
        onProgress({ ...progress });
      });
      progress.done += 1;
      onProgress({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, client));
  return outcomes;
}

async function driveOrder(
  httpUrl: string,
  plan: OrderPlan,
  token: string,
  now: () => number,
  created: () => void,
): Promise<OrderOutcome> {
  const postSentAt = now();
  const create = await sendJson(
    `${httpUrl}/orders`,
    { customerId: plan.customerId, currency: 'EUR', region: plan.region, items: plan.items },
    { token, idempotencyKey: plan.idempotencyKey },
  );
  created();
  const orderId = create.body?.orderId;
  const total = create.body?.total;
  if (create.status !== 201 || typeof orderId !== 'string' || typeof total !== 'number') {
    return { plan, postSentAt, create };
  }
  const path = `${httpUrl}/orders/${encodeURIComponent(orderId)}`;
  const pay = () =>
    sendJson(`${path}/pay`, { amount: total }, { token, idempotencyKey: `${plan.idempotencyKey}-pay` });
  if (!plan.cancel) return { plan, postSentAt, create, orderId, total, pay: await pay() };
  const [paid, cancelled] = await Promise.all([
    pay(),
    sendJson(
      `${path}/cancel`,
      { reason: 'load run: races the pay' },
      { token, idempotencyKey: `${plan.idempotencyKey}-cancel` },
    ),
  ]);
  return { plan, postSentAt, create, orderId, total, pay: paid, cancel: cancelled };
}
