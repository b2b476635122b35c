import type { Options } from 'amqplib';

/** A message a function published on the broker: exchange, routing key, body as text and the publish options. */
export interface PublishedMessage {
  exchange: string;
  routingKey: string;
  body: string;
  options: Options.Publish;
}

type Listener = (...args: unknown[]) => void;

/**
 * A RabbitMQ broker as the functions see it through `vi.mock('amqplib')`: `connect`, a confirm channel, and a confirm
 * for each publish once the publishes of the moment are made (a macrotask later), so that publishes of different
 * orders can be seen overlapping. Build it in `vi.hoisted` and hand `connect` to the mock:
 *
 * @example
 * const broker = await vi.hoisted(async () => new (await import('../support/fake-broker.js')).FakeBroker());
 * vi.mock('amqplib', () => ({ connect: (url: string) => broker.connect(url) }));
 */
export class FakeBroker {
  /** The messages the broker confirmed, in the order they were published. */
  readonly published: PublishedMessage[] = [];
  /** The messages the broker nacked, in the order they were published. */
  readonly nacked: PublishedMessage[] = [];
  /** The URL of every connection opened (it carries the user the function read from the secret). */
  readonly connections: string[] = [];
  /** For each publish, the messages unconfirmed right after it (itself included). */
  readonly inFlightAtEachPublish: PublishedMessage[][] = [];
  /** While set, connecting fails as a broker that cannot be reached does. */
  down = false;
  /** Which messages the broker nacks instead of confirming. */
  nacks: (message: PublishedMessage) => boolean = () => false;
  #inFlight = new Set<PublishedMessage>();
  #closeListeners: Listener[] = [];

  /**
   * A broker with nothing published, reachable, confirming everything, and no connection open: the connections of
   * earlier tests are closed, so the function under test connects (and reads its secret) again.
   */
  reset(): void {
    this.dropConnections();
    this.published.length = 0;
    this.nacked.length = 0;
    this.connections.length = 0;
    this.inFlightAtEachPublish.length = 0;
    this.down = false;
    this.nacks = () => false;
    this.#inFlight.clear();
  }

  /** The broker closes every open connection and channel: their `close` listeners are called. */
  dropConnections(): void {
    for (const listener of this.#closeListeners.splice(0)) listener();
  }

  /** amqplib's `connect`, as the mock hands it to the functions. */
  async connect(url: string) {
    if (this.down)
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5671'), { code: 'ECONNREFUSED' });
    this.connections.push(url);
    const listen = (event: string, listener: Listener) => {
      if (event === 'close') this.#closeListeners.push(listener);
    };
    const channel = {
      on: (event: string, listener: Listener) => {
        listen(event, listener);
        return channel;
      },
      publish: (
        exchange: string,
        routingKey: string,
        content: Buffer,
        options: Options.Publish,
        confirmed: (error: unknown) => void,
      ) => {
        const message = { exchange, routingKey, body: content.toString('utf8'), options };
        this.#inFlight.add(message);
        this.inFlightAtEachPublish.push([...this.#inFlight]);
        setImmediate(() => {
          this.#inFlight.delete(message);
          if (this.nacks(message)) {
            this.nacked.push(message);
            confirmed(new Error('message nacked'));
          } else {
            this.published.push(message);
            confirmed(null);
          }
        });
        return true;
      },
    };
    return { on: listen, createConfirmChannel: async () => channel };
  }
}
