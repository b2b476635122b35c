import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import type { CommandIo } from '../commands/command.js';
import { PIPELINE_STATUS_PATH, type PipelineStatus } from '../pipeline-status.js';
import type { DemoCloud } from './cloud.js';
import { figuresLine } from './figures.js';
import { type DemoStepResult, resultOf } from './results.js';

/** What the HTTP API answered: its status, headers and JSON body (`{}` when empty). */
export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A message heard on one of the story's MQTT topics. */
export interface Heard {
  topic: string;
  message: Record<string, unknown>;
}

/** What a step saw, and whether that is what it told. */
export interface Observation {
  observed: string;
  pass: boolean;
}

/** Ends a step: prints what was observed with PASS, FAIL or SKIP, and records it for the summary. */
export type StepDone = (observed: string, pass: boolean, skipped?: boolean) => void;

/** Waits for `probe`, printing the pipeline's figures about every second; `undefined` after the timeout. */
export type WaitFor = <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  waitMs?: number,
) => Promise<T | undefined>;

/** The order every step places: two books at `unitPrice`. */
export function orderOf(customerId: string, unitPrice: number) {
  return { customerId, currency: 'EUR', items: [{ sku: 'BOOK-1', quantity: 2, unitPrice }] };
}

/** A step's observation when it threw instead of observing. */
export function brokeObservation(error: unknown): Observation {
  return {
    observed: `the step broke: ${error instanceof Error ? error.message : String(error)}`,
    pass: false,
  };
}

/**
 * What every step of the story shares: the cloud and its HTTP API (called with a token of the customer), what was
 * heard on `orders/+/+/status` and `ops/reviews`, waiting while printing the pipeline's figures, and the results.
 */
export class StepContext {
  /** Tells this run's customers, keys and scans apart from earlier runs'. */
  readonly run = randomUUID().slice(0, 8);
  readonly results: DemoStepResult[] = [];
  private readonly heard: Heard[] = [];

  private constructor(
    readonly cloud: DemoCloud,
    readonly mqtt: MqttClient,
    readonly io: CommandIo,
    readonly timeoutMs: number,
  ) {
    mqtt.on('message', (topic, payload) => {
      try {
        this.heard.push({ topic, message: JSON.parse(payload.toString('utf8')) as Record<string, unknown> });
      } catch {
        // not JSON: not part of the story
      }
    });
  }

  /** A context listening on the order status topics and `ops/reviews` before any step is told. */
  static async open(cloud: DemoCloud, mqtt: MqttClient, io: CommandIo, timeoutMs: number) {
    const context = new StepContext(cloud, mqtt, io, timeoutMs);
    await mqtt.subscribeAsync(['orders/+/+/status', 'ops/reviews'], { qos: 1 });
    return context;
  }

  /** Prints a step's title, what it does and what should happen; the step ends by calling what it returns. */
  step(title: string, doing: string, expected: string): StepDone {
    const { io } = this;
    io.out('');
    io.out(`== ${this.results.length + 1}. ${title}`);
    io.out(`  doing: ${doing}`);
    io.out(`  expected: ${expected}`);
    return (observed, pass, skipped = false) => {
      const result = {
        step: title,
        expected,
        observed,
        pass: pass && !skipped,
        ...(skipped ? { skipped } : {}),
      };
      io.out(`  observed: ${observed} → ${resultOf(result)}`);
      this.results.push(result);
    };
  }

  async pipeline(): Promise<PipelineStatus> {
    const response = await fetch(`${this.cloud.http}${PIPELINE_STATUS_PATH}`);
    if (!response.ok) throw new Error(`GET ${PIPELINE_STATUS_PATH} answered ${response.status}`);
    return (await response.json()) as PipelineStatus;
  }

  /** Calls the HTTP API as `as` (a token of that subject). */
  async call(
    method: string,
    as: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const response = await fetch(`${this.cloud.http}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await this.cloud.token(as)}`,
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }

  /** Places `orderOf(customerId, unitPrice)` as the customer. */
  place(customerId: string, unitPrice: number, headers: Record<string, string> = {}): Promise<Answer> {
    return this.call('POST', customerId, '/orders', orderOf(customerId, unitPrice), headers);
  }

  /** Pays `amount` for the customer's order. */
  pay(customerId: string, orderId: string, amount: unknown): Promise<Answer> {
    return this.call('POST', customerId, `/orders/${orderId}/pay`, { amount });
  }

  async placeAndPay(customerId: string, unitPrice = 1250) {
    const placed = await this.place(customerId, unitPrice);
    const orderId = String(placed.body.orderId);
    const paid = await this.pay(customerId, orderId, placed.body.total);
    return { orderId, placed: placed.status, paid: paid.status };
  }

  /** Places and pays an order, then waits until `status` is heard for it (`what` of it printed while waiting). */
  async placePayAndHear(
    customerId: string,
    status: string,
    what: (orderId: string) => string = () => status,
  ) {
    const order = await this.placeAndPay(customerId);
    return { ...order, heard: await this.waitForStatus(order.orderId, status, what(order.orderId)) };
  }

  async statusOf(as: string, orderId: string): Promise<string> {
    return String((await this.call('GET', as, `/orders/${orderId}`)).body.status);
  }

  readonly waitFor: WaitFor = async (what, probe, waitMs = this.timeoutMs) => {
    this.io.out(`  waiting for ${what} ...`);
    const deadline = Date.now() + waitMs;
    let lastPrint = 0;
    for (;;) {
      const value = await probe();
      if (Date.now() - lastPrint >= 1000 || value !== undefined) {
        this.io.out(figuresLine(await this.pipeline()));
        lastPrint = Date.now();
      }
      if (value !== undefined || Date.now() >= deadline) return value;
      await delay(200);
    }
  };

  /** The first message heard that `matches`, if any. */
  heardMessage(matches: (heard: Heard) => boolean): Heard | undefined {
    return this.heard.find(matches);
  }

  heardStatus(orderId: string, status: string): boolean {
    return this.heard.some(
      ({ topic, message }) => topic.endsWith(`/${orderId}/status`) && message.status === status,
    );
  }

  /** Waits until `status` is heard on the order's status topic; false after the timeout. */
  async waitForStatus(orderId: string, status: string, what = status): Promise<boolean> {
    return (
      (await this.waitFor(what, async () => (this.heardStatus(orderId, status) ? true : undefined))) === true
    );
  }
}

/** What `waitForStatus` prints for a status on the order's own topic. */
export function onStatusTopic(status: string, customerId: string, orderId: string): string {
  return `${status} on orders/${customerId}/${orderId}/status`;
}
