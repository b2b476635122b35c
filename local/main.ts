/**
 * `npm start`: package the stack for the `local` stage, start the local cloud on its fixed ports, print where
 * everything is, and stop it all on Ctrl-C.
 *
 * `npm start -- --no-package` reuses the last package in `.local-cloud/package` (faster, but stale after a change);
 * `npm start -- --status` prints the event sources' figures every 5 s while they deliver, not only while records fail.
 */
import { parseArgs } from 'node:util';
import { type LocalCloud, startLocalCloud } from './cloud.js';
import { DASHBOARD_PATH } from './dashboard/dashboard-site.js';
import { JWKS_PATH } from './http-api/http-api-server.js';
import { FUNCTION_LOG_FILE } from './logs/function-log.js';
import { NPM_START_PACKAGE_DIR, packageStack } from './package-stack.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    'no-package': { type: 'boolean', default: false },
    status: { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const started = performance.now();
  if (!values['no-package']) {
    console.log('orderflow: packaging the stack (serverless package --stage local) ...');
    await packageStack({ stage: 'local', outputDir: NPM_START_PACKAGE_DIR });
  }
  const cloud = await startLocalCloud({
    packageDir: NPM_START_PACKAGE_DIR,
    functionOutput: 'inherit',
    functionLogFile: FUNCTION_LOG_FILE,
    alwaysShowStatus: values.status,
  });
  console.log(banner(cloud, performance.now() - started));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\norderflow: ${signal}, stopping the local cloud ...`);
    await cloud.stop();
    console.log('orderflow: stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function banner(cloud: LocalCloud, elapsedMs: number): string {
  const { endpoints, stack } = cloud;
  const mqttPort = new URL(endpoints.mqtt).port;
  const routes = stack.routes.map((route) => `${route.routeKey} → ${route.functionName}`);
  const queues = Object.values(stack.resources)
    .filter((resource) => resource.type === 'AWS::SQS::Queue')
    .map((resource) => resource.attributes.QueueName ?? resource.ref);
  const streams = Object.values(stack.resources)
    .filter((resource) => resource.type === 'AWS::Kinesis::Stream')
    .map((resource) => resource.ref);
  const lines = [
    '',
    `orderflow local cloud is up (${(elapsedMs / 1000).toFixed(1)} s) — everything on 127.0.0.1, no Docker, no AWS`,
    '',
    `  Dashboard  ${endpoints.http}${DASHBOARD_PATH}   orders live, analytics, reviews, queue depths (open it in a browser)`,
    `  HTTP API   ${endpoints.http}`,
    ...routes.map((route) => `               ${route}`),
    `  MQTT       ${endpoints.mqtt}   (WebSocket ${endpoints.mqttWs})`,
    `  SNS + SQS  ${endpoints.sqsSns}   fauxqs${queues.length > 0 ? ` — queues: ${queues.join(', ')}` : ''}`,
    `  DynamoDB   ${endpoints.dynamodb}   dynalite`,
    `  Kinesis    ${endpoints.kinesis}   kinesalite${streams.length > 0 ? ` — streams: ${streams.join(', ')}` : ''}`,
    `  IoT data   ${endpoints.iotData}   POST /topics/{topic}?qos=1 → MQTT`,
    `  Lambda     ${endpoints.lambda}   Invoke, Get/UpdateFunctionConfiguration (aws lambda invoke --endpoint-url ${endpoints.lambda} ...)`,
    `  Secrets    ${endpoints.secretsManager}   GetSecretValue (the legacy broker's user)`,
    endpoints.amqp === undefined
      ? '  RabbitMQ   not running: the ERP bridge is off (see the line above)'
      : `  RabbitMQ   ${endpoints.amqp}   the ERP bridge: legacy.orders in, exchange orderflow.status out`,
    `             up to ${cloud.functionConcurrency} execution environments per function, one invocation each at a time`,
    '             (ORDERFLOW_FUNCTION_CONCURRENCY); event source status lines every 5 s while records fail',
    '',
    'Try (every route wants a token of the local issuer; `npm run -s token -- --sub <customerId>` prints one):',
    `  curl -si ${endpoints.http}/orders -H "authorization: Bearer $(npm run -s token -- --sub cust-42)" \\`,
    `    -H 'content-type: application/json' \\`,
    `    -d '{"customerId":"cust-42","currency":"EUR","items":[{"sku":"BOOK-1","quantity":2,"unitPrice":1999}]}'`,
    `  curl -s ${endpoints.http}/orders/<orderId> -H "authorization: Bearer $(npm run -s token -- --sub cust-42)"`,
    `  (tokens are checked against ${endpoints.http}${JWKS_PATH}, the local cloud's own key)`,
    `  npx mqtt sub -h 127.0.0.1 -p ${mqttPort} -t 'orders/#' -v`,
    '  npx serverless invoke local --stage local -f createOrder -p events/create-order.json',
    '  npm run trace -- <orderId>      every log line of one order, across the functions, in time order',
    '  npm run load -- --orders 300 --concurrency 10',
    "  npm run demo                     a scripted story, step by step, with the pipeline's figures",
    ...(endpoints.amqp === undefined
      ? []
      : [
          "  npm run legacy -- listen          the stand-in ERP hears its orders' statuses",
          '  npm run legacy -- send broker/samples/erp-order.json',
        ]),
    '',
    'Ctrl-C stops everything.',
  ];
  return lines.join('\n');
}

main().catch((error: unknown) => {
  console.error(
    `orderflow: the local cloud could not start: ${error instanceof Error ? error.message : error}`,
  );
  if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
    console.error(
      'A port is taken: is another `npm start` running? Set ORDERFLOW_HTTP_PORT / ORDERFLOW_MQTT_PORT.',
    );
  }
  process.exit(1);
});
