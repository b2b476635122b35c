import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { Aedes } from 'aedes';
import dynalite from 'dynalite';
import { type BuildAppOptions, buildApp } from 'fauxqs';
import kinesalite from 'kinesalite';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { startIotDataShim } from './iot/iot-data-shim.js';
import { close, endpointOf, HOST, listen, requestCounter } from './net.js';

/** A running emulator: where it listens and how to stop it. */
export interface RunningService {
  port: number;
  endpoint: string;
  /** HTTP requests it has served since it started (what `npm run bench` divides by the orders of a run). */
  requests(): number;
  close(): Promise<void>;
}

export interface MqttBroker {
  broker: Aedes;
  port: number;
  wsPort: number;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** Ports of the emulators; 0 asks for any free port (what the tests do). */
export interface EmulatorPorts {
  sqsSns: number;
  dynamodb: number;
  kinesis: number;
  iotData: number;
  mqtt: number;
  mqttWs: number;
}

export interface Emulators {
  /** fauxqs: SNS and SQS on one endpoint */
  sqsSns: RunningService;
  dynamodb: RunningService;
  kinesis: RunningService;
  /** the IoT data-plane publish shim, in front of the MQTT broker */
  iotData: RunningService;
  mqtt: MqttBroker;
  close(): Promise<void>;
}

/**
 * fauxqs 1.9.2 (SNS + SQS). Its own `startFauxqs()` binds 0.0.0.0, so it is built and bound to 127.0.0.1 here.
 * Queue URLs look like `http://sqs.<region>.localhost:<port>/000000000000/<name>`: SQS clients must keep their
 * configured endpoint (`useQueueUrlAsEndpoint: false`), as `*.localhost` does not resolve everywhere.
 */
export async function startSqsSns(
  port: number,
  region: string,
  stores?: BuildAppOptions['stores'],
  onRequest?: SqsSnsRequestListener,
): Promise<RunningService> {
  const app = buildApp({ logger: false, defaultRegion: region, ...(stores === undefined ? {} : { stores }) });
  if (onRequest !== undefined) {
    // After parsing, before fauxqs handles it: what `/_local/pipeline` counts SNS publishes with.
    app.addHook('preHandler', async (request) => {
      onRequest(request.body, request.headers['x-amz-target']?.toString());
    });
  }
  const requests = requestCounter(app.server);
  await app.listen({ host: HOST, port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return { port: bound, endpoint: endpointOf(bound), requests, close: () => app.close() };
}

/** Sees each request to fauxqs: its parsed body and `X-Amz-Target` header (JSON protocol), if any. */
export type SqsSnsRequestListener = (body: unknown, target: string | undefined) => void;

/** dynalite 4.0.0, in memory, with no artificial table-creation delay. No transactions, no TTL. */
export async function startDynamoDb(port: number): Promise<RunningService> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const requests = requestCounter(server);
  const bound = await listen(server, port);
  return { port: bound, endpoint: endpointOf(bound), requests, close: () => close(server) };
}

/** kinesalite 3.3.3, in memory. Clients need an HTTP/1.1 `NodeHttpHandler` (it speaks no HTTP/2). */
export async function startKinesis(port: number): Promise<RunningService> {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 });
  const requests = requestCounter(server);
  const bound = await listen(server, port);
  return { port: bound, endpoint: endpointOf(bound), requests, close: () => close(server) };
}

/** An aedes MQTT 3.1.1 broker on TCP and on WebSocket (any path; mqtt.js uses `/mqtt`). */
export async function startMqttBroker(port: number, wsPort: number): Promise<MqttBroker> {
  const broker = await Aedes.createBroker();
  const tcp = createNetServer(broker.handle);
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket, request) => broker.handle(createWebSocketStream(socket), request));
  const closeBroker = () => new Promise<void>((resolve) => broker.close(() => resolve()));
  try {
    const bound = await listen(tcp, port);
    const wsBound = await listen(http, wsPort);
    return {
      broker,
      port: bound,
      wsPort: wsBound,
      url: `mqtt://${HOST}:${bound}`,
      wsUrl: `ws://${HOST}:${wsBound}/mqtt`,
      async close() {
        await closeBroker(); // disconnects every client
        for (const client of wss.clients) client.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await Promise.all([close(http), close(tcp)]);
      },
    };
  } catch (error) {
    // The broker's timers would keep the process alive after a failed listen.
    await closeBroker();
    if (tcp.listening) await close(tcp);
    throw error;
  }
}

/**
 * Starts every emulator; if one cannot start (e.g. its port is taken) the others are stopped again. `sqsSnsStores`:
 * fauxqs's stores to use (a chaos run's delivery faults), instead of fresh ones.
 */
export async function startEmulators(
  ports: EmulatorPorts,
  region: string,
  {
    sqsSnsStores,
    onSqsSnsRequest,
  }: { sqsSnsStores?: BuildAppOptions['stores']; onSqsSnsRequest?: SqsSnsRequestListener } = {},
): Promise<Emulators> {
  const started: Array<{ close(): Promise<void> }> = [];
  const track = async <T extends { close(): Promise<void> }>(service: Promise<T>): Promise<T> => {
    const running = await service;
    started.push(running);
    return running;
  };
  try {
    const [sqsSns, dynamodb, kinesis, mqtt] = await Promise.all([
      track(startSqsSns(ports.sqsSns, region, sqsSnsStores, onSqsSnsRequest)),
      track(startDynamoDb(ports.dynamodb)),
      track(startKinesis(ports.kinesis)),
      track(startMqttBroker(ports.mqtt, ports.mqttWs)),
    ]);
    const iotData = await track(startIotDataShim(mqtt.broker, ports.iotData));
    return {
      sqsSns,
      dynamodb,
      kinesis,
      mqtt,
      iotData,
      close: async () => {
        await Promise.allSettled(started.reverse().map((service) => service.close()));
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((service) => service.close()));
    throw error;
  }
}
