import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders, RequestOptions } from 'node:http';
import { Readable, Writable } from 'node:stream';

/** A request as the SDK sent it: what a responder answers from. */
export interface SentHttpRequest {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What a responder answers: a status, headers and a body, as an AWS service would send them. */
export interface FakeHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type Responder = (request: SentHttpRequest) => FakeHttpResponse;

/**
 * A socket that never connects anywhere: the SDK's handler only sets options on it and waits for its timeouts,
 * which never fire because every answer comes at once.
 */
class NoSocket extends EventEmitter {
  readonly connecting = false;
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  destroy(): this {
    return this;
  }
}

/** The response side: a readable body with the fields the SDK reads off `http.IncomingMessage`. */
class FakeIncomingMessage extends Readable {
  complete = false;
  constructor(
    readonly statusCode: number,
    readonly headers: Record<string, string>,
    body: string,
  ) {
    super();
    this.push(Buffer.from(body));
    this.push(null);
    this.once('end', () => {
      this.complete = true;
    });
  }
  get statusMessage(): string {
    return this.statusCode < 300 ? 'OK' : 'Error';
  }
  override _read(): void {}
}

/**
 * The client side of `https.request` with the network taken out: the body the SDK writes is collected, and on
 * `end()` the responder's answer is handed back as a response, in the same tick order Node's own client keeps
 * (`socket`, then `response`, then `close`). Everything above the socket — command building, serialization,
 * signing, retries, parsing — runs as it would against AWS.
 */
export class FakeClientRequest extends Writable {
  socket: NoSocket | null = null;
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly options: RequestOptions,
    private readonly respond: Responder,
    onResponse?: (response: FakeIncomingMessage) => void,
  ) {
    super();
    if (onResponse) this.once('response', onResponse);
    process.nextTick(() => {
      this.socket = new NoSocket();
      this.emit('socket', this.socket);
    });
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    let answer: FakeHttpResponse;
    try {
      answer = this.respond(this.sent());
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    callback();
    setImmediate(() => {
      const response = new FakeIncomingMessage(answer.statusCode, answer.headers, answer.body);
      response.once('end', () => this.emit('close'));
      this.emit('response', response);
    });
  }

  setTimeout(): this {
    return this;
  }

  abort(): void {
    this.destroy();
  }

  private sent(): SentHttpRequest {
    return {
      method: this.options.method ?? 'GET',
      host: String(this.options.host ?? this.options.hostname ?? ''),
      path: this.options.path ?? '/',
      headers: lowerCaseHeaders(this.options.headers as OutgoingHttpHeaders | undefined),
      body: Buffer.concat(this.chunks).toString('utf8'),
    };
  }
}

function lowerCaseHeaders(headers: OutgoingHttpHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined)
      result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return result;
}
