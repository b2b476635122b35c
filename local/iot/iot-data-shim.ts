import { createServer } from 'node:http';
import type { Aedes } from 'aedes';
import { close, endpointOf, listen, requestCounter } from '../net.js';

/** The largest IoT Core message: 128 KB. */
export const MAX_IOT_PAYLOAD_BYTES = 128 * 1024;

/**
 * Why `topic` cannot be published to, or `undefined` when it can: MQTT topic names for a publish have no
 * wildcards, no empty level and are at most 256 bytes long (IoT Core's limit).
 */
export function topicProblem(topic: string): string | undefined {
  if (topic === '') return 'the topic is empty';
  if (Buffer.byteLength(topic) > 256) return 'the topic is longer than 256 bytes';
  if (/[+#]/.test(topic)) return 'a topic to publish to cannot contain + or #';
  if (topic.split('/').some((level) => level === '')) return 'the topic has an empty level';
  return undefined;
}

/**
 * The IoT data-plane publish shim: `POST /topics/{topic}?qos=N[&retain=true]` — what
 * `@aws-sdk/client-iot-data-plane`'s `PublishCommand` sends (the topic URL-encoded, `/` as `%2F`) — becomes an
 * MQTT publish on the broker. Errors come back the way IoT Core sends them, so the SDK raises typed exceptions.
 */
export async function startIotDataShim(broker: Aedes, port: number) {
  const server = createServer(async (request, response) => {
    const refuse = (status: number, errorType: string, message: string) => {
      response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-ErrorType': errorType });
      response.end(JSON.stringify({ message }));
    };
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const payload = Buffer.concat(chunks);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = /^\/topics\/(.+)$/.exec(url.pathname);
    if (request.method !== 'POST' || match?.[1] === undefined) {
      refuse(404, 'ResourceNotFoundException', `No route for ${request.method} ${url.pathname}`);
      return;
    }
    let topic: string;
    try {
      topic = decodeURIComponent(match[1]);
    } catch {
      refuse(400, 'InvalidRequestException', 'The topic is not valid percent-encoding');
      return;
    }
    const problem = topicProblem(topic);
    if (problem !== undefined)
      return refuse(400, 'InvalidRequestException', `Invalid topic '${topic}': ${problem}`);
    if (payload.length > MAX_IOT_PAYLOAD_BYTES) {
      return refuse(
        413,
        'RequestEntityTooLargeException',
        `The payload exceeds ${MAX_IOT_PAYLOAD_BYTES} bytes`,
      );
    }
    const qos = url.searchParams.get('qos') === '1' ? 1 : 0;
    const retain = url.searchParams.get('retain') === 'true';
    broker.publish({ cmd: 'publish', topic, payload, qos, retain, dup: false }, (error) => {
      if (error) return refuse(500, 'InternalFailureException', String(error));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  const requests = requestCounter(server);
  const bound = await listen(server, port);
  return { port: bound, endpoint: endpointOf(bound), requests, close: () => close(server) };
}
