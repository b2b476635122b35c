import { once } from 'node:events';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';

/** Everything the local cloud serves listens here, and only here. */
export const HOST = '127.0.0.1';

/** Listens on 127.0.0.1 (port 0 = any free port) and returns the bound port; rejects on EADDRINUSE. */
export async function listen(server: NetServer | HttpServer, port: number): Promise<number> {
  server.listen(port, HOST);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Closes a server, dropping keep-alive connections so that it closes at once. */
export function close(server: NetServer | HttpServer): Promise<void> {
  const closed = new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
  if ('closeAllConnections' in server) server.closeAllConnections();
  return closed;
}

export const endpointOf = (port: number): string => `http://${HOST}:${port}`;

/** Reads a request's body; `undefined` when it is over `limitBytes` (the rest is read and dropped). */
export async function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= limitBytes) chunks.push(chunk as Buffer);
  }
  return size > limitBytes ? undefined : Buffer.concat(chunks);
}

/** Counts the requests an HTTP server receives (`RunningService.requests`). */
export function requestCounter(server: {
  on(event: 'request', listener: () => void): unknown;
}): () => number {
  let requests = 0;
  server.on('request', () => {
    requests += 1;
  });
  return () => requests;
}
