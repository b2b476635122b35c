import { setTimeout as delay } from 'node:timers/promises';
import { type HttpAnswer, type IssueToken, type RequestCredentials, sendJson } from '../load/http-driver.js';
import type { ChaosOrderPlan } from './chaos-workload.js';

/**
 * The chaos run's HTTP clients. Under faults a request may need many attempts: a client here retries what does not
 * settle it — a 503 (a dependency failed), any other 5xx (the function failed or timed out: API Gateway's 500), a
 * 409 `request-in-progress` (its own earlier attempt still holds the key) or no answer at all — with backoff, until
 * an answer that settles it or its deadline, as a careful client does. It retries a request without a key too: that
 * may place a second order, the documented cost of leaving the key out. Each attempt is one `sendJson` of the load
 * run; every answer is kept, because a command refused after a failed attempt may have been applied by that
 * attempt.
 */

/** A request as its client saw it: the status of every attempt (0: no answer), and the answer that settled it. */
export interface SentRequest {
  statuses: number[];
  answer: HttpAnswer;
}

/** What happened to one order of the chaos workload over HTTP. */
export interface ChaosOrderOutcome {
  plan: ChaosOrderPlan;
  /** When its first `POST /orders` was sent (ms since the epoch). */
  postSentAt: number;
  /** One create, or two for a repeated keyed create. */
  creates: SentRequest[];
  /** Set when a create was answered 201. */
  orderId?: string;
  total?: number;
  pays: SentRequest[];
  cancels: SentRequest[];
}

export interface RetryPolicy {
  /** Give up on a request after this long (its last answer stands). */
  deadlineMs: number;
  /** First pause between attempts; it doubles up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const CHAOS_RETRY_POLICY: RetryPolicy = { deadlineMs: 120_000, firstDelayMs: 50, maxDelayMs: 1_000 };

const REQUEST_IN_PROGRESS = '/problems/request-in-progress';

/** Whether an answer leaves the request unsettled, so that the client tries again. */
export function isRetryable(answer: HttpAnswer): boolean {
  if (answer.status === 0 || answer.status >= 500) return true;
  return answer.status === 409 && answer.body?.type === REQUEST_IN_PROGRESS;
}

/** Sends until an answer that is not `isRetryable`, or the deadline: every attempt's status, and the last answer. */
export async function sendUntilSettled(
  url: string,
  body: unknown,
  credentials: RequestCredentials,
  policy: RetryPolicy = CHAOS_RETRY_POLICY,
): Promise<SentRequest> {
  const statuses: number[] = [];
  const deadline = Date.now() + policy.deadlineMs;
  for (let attempt = 0; ; attempt += 1) {
    const answer = await sendJson(url, body, credentials, 1);
    statuses.push(answer.status);
    if (!isRetryable(answer) || Date.now() >= deadline) {
      return { statuses, answer: { ...answer, retries: statuses.length - 1 } };
    }
    await delay(Math.min(policy.firstDelayMs * 2 ** attempt, policy.maxDelayMs));
  }
}

export interface ChaosDriveProgress {
  /** Orders whose create was settled. */
  created: number;
  /** Orders whose every request was settled. */
  done: number;
}

/**
 * Runs the workload with `concurrency` clients, each taking the next order off a shared counter, as its customer:
 * create (twice at once when repeated), then pay — raced with the cancel (Promise.all) when there is one — and the
 * repeats once the first answer is in.
 */
export async function driveChaosOrders({
  httpUrl,
  plans,
  concurrency,
  issueToken,
  policy = CHAOS_RETRY_POLICY,
  onProgress = () => {},
}: {
  httpUrl: string;
  plans: readonly ChaosOrderPlan[];
  concurrency: number;
  issueToken: IssueToken;
  policy?: RetryPolicy;
  onProgress?: (progress: ChaosDriveProgress) => void;
}): Promise<ChaosOrderOutcome[]> {
  const outcomes: ChaosOrderOutcome[] = new Array(plans.length);
  const progress: ChaosDriveProgress = { created: 0, done: 0 };
  let next = 0;
  const client = async () => {
    for (let index = next++; index < plans.length; index = next++) {
      const plan = plans[index] as ChaosOrderPlan;
      const token = await issueToken({ sub: plan.customerId });
      outcomes[index] = await driveOrder(httpUrl, plan, token, policy, () => {
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
  plan: ChaosOrderPlan,
  token: string,
  policy: RetryPolicy,
  created: () => void,
): Promise<ChaosOrderOutcome> {
  const credentials = (suffix: string): RequestCredentials =>
    plan.keyed ? { token, idempotencyKey: `${plan.idempotencyKey}${suffix}` } : { token };
  const postSentAt = Date.now();
  const createBody = { customerId: plan.customerId, currency: 'EUR', region: plan.region, items: plan.items };
  const create = () => sendUntilSettled(`${httpUrl}/orders`, createBody, credentials(''), policy);
  const creates = await Promise.all(plan.repeatCreate ? [create(), create()] : [create()]);
  created();
  const accepted = creates.find(({ answer }) => answer.status === 201)?.answer.body;
  const orderId = accepted?.orderId;
  const total = accepted?.total;
  if (typeof orderId !== 'string' || typeof total !== 'number') {
    return { plan, postSentAt, creates, pays: [], cancels: [] };
  }
  const path = `${httpUrl}/orders/${encodeURIComponent(orderId)}`;
  const sendTwiceIf = async (repeat: boolean, send: () => Promise<SentRequest>) => {
    const first = await send();
    return repeat ? [first, await send()] : [first];
  };
  const paying = sendTwiceIf(plan.repeatPay, () =>
    sendUntilSettled(`${path}/pay`, { amount: total }, credentials('-pay'), policy),
  );
  const cancelling = plan.cancel
    ? sendTwiceIf(plan.repeatCancel, () =>
        sendUntilSettled(
          `${path}/cancel`,
          { reason: 'chaos run: races the pay' },
          credentials('-cancel'),
          policy,
        ),
      )
    : Promise.resolve([]);
  const [pays, cancels] = await Promise.all([paying, cancelling]);
  return { plan, postSentAt, creates, orderId, total, pays, cancels };
}
