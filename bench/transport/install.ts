import http, { type ClientRequest, type RequestOptions } from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { FakeClientRequest, type Responder } from './fake-client-request.js';

/**
 * Replaces `http.request` and `https.request` in this process with the fake client (`FakeClientRequest`): the AWS SDK
 * of every bundle imported afterwards — which calls `https.request(options, callback)` through `@smithy/node-http-handler`
 * — gets its answers from `respond`, in-process. ESM importers of `node:http` see the change too
 * (`syncBuiltinESMExports`). Returns what puts the real ones back. For benchmark processes (and their tests) only:
 * nothing of it is in a function bundle. HTTP/2 is not faked: a client must use `NodeHttpHandler` (orderflow's
 * Kinesis client does; the SDK's HTTP/2 default would fail to resolve `*.bench.invalid`, and so reach nothing).
 */
export function installFakeTransport(respond: Responder): () => void {
  const fakeRequest = (...args: unknown[]): ClientRequest => {
    const [options, callback] = args;
    if (typeof options !== 'object' || options === null || options instanceof URL) {
      throw new Error(
        'the benchmark fake transport handles request(options, callback) only: the SDK calls nothing else',
      );
    }
    const onResponse = typeof callback === 'function' ? (callback as never) : undefined;
    return new FakeClientRequest(options as RequestOptions, respond, onResponse) as unknown as ClientRequest;
  };
  const originals = [http.request, https.request] as const;
  for (const module of [http, https]) {
    Object.defineProperty(module, 'request', { value: fakeRequest, writable: true, configurable: true });
  }
  syncBuiltinESMExports();
  return () => {
    Object.defineProperty(http, 'request', { value: originals[0], writable: true, configurable: true });
    Object.defineProperty(https, 'request', { value: originals[1], writable: true, configurable: true });
    syncBuiltinESMExports();
  };
}
