import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
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
