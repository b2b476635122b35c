import type { LocalTarget } from '../commands/local-target.js';

/** A local cloud the demo talks to: the one `npm start` runs, or one it started (`--start`). */
export interface DemoCloud {
  /** The HTTP API, e.g. `http://127.0.0.1:3000`. */
  http: string;
  mqtt: string;
  /** A token the HTTP API accepts for `sub` (with `scopes`). */
  token(sub: string, scopes?: readonly string[]): Promise<string>;
  /**
   * The cloud's AWS side as the commands reach it (its functions, SQS, DynamoDB, the Lambda API): the poison step
   * changes a function's configuration and a queue's visibility timeout through it, and redrives with it. The demo
   * closes it after the step.
   */
  target(): Promise<LocalTarget>;
  /**
   * The ERP bridge's broker (`amqp://user:pass@host:port`) when the cloud runs one, `undefined` when it does not;
   * the demo checks that it answers before it tells the ERP step.
   */
  legacyBrokerUrl(): Promise<string | undefined>;
  /** Stops what the demo started (nothing for a running cloud). */
  close(): Promise<void>;
}
