/**
 * `npm run redrive -- --queue fulfillment|review [--dry-run] [--max N] [--order ID]`: redrives a DLQ of the running
 * local cloud (`npm start`) with the same code as the `redriveDlq` Lambda, and prints what moved and what was parked.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runRedrive } from '../shared/redrive.js';
import { REDRIVE_QUEUES, type RedriveQueue } from '../shared/redrive-ports.js';
import { createLocalClients } from './aws-clients.js';
import { PROJECT_ROOT } from './package-stack.js';
import { defaultPorts } from './ports.js';
import { localRedrivePorts } from './redrive-ports.js';
import { loadPackagedStack } from './template/load-template.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      queue: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      max: { type: 'string' },
      order: { type: 'string' },
    },
  });
  const queue = values.queue as RedriveQueue | undefined;
  if (queue === undefined || !REDRIVE_QUEUES.includes(queue)) {
    throw new UsageError(`--queue must be one of ${REDRIVE_QUEUES.join(', ')}`);
  }
  const max = values.max === undefined ? undefined : Number(values.max);
  if (max !== undefined && (!Number.isInteger(max) || max < 1))
    throw new UsageError('--max must be a whole number ≥ 1');

  const { template, region } = await loadPackagedStack(join(PROJECT_ROOT, '.local-cloud', 'package'));
  // The `local` stage gives functions plain-string names and environments: no intrinsic to resolve.
  const functions = Object.values(template.Resources ?? {}).flatMap((resource) => {
    const properties = (resource as { Type?: string; Properties?: Record<string, unknown> }).Properties ?? {};
    const variables = (properties.Environment as { Variables?: Record<string, string> } | undefined)
      ?.Variables;
    return (resource as { Type?: string }).Type === 'AWS::Lambda::Function' &&
      typeof properties.FunctionName === 'string'
      ? [{ name: properties.FunctionName, environment: variables ?? {} }]
      : [];
  });
  const ports = defaultPorts(functions.map((fn) => fn.environment));
  const endpoint = (port: number) => `http://127.0.0.1:${port}`;
  const clients = createLocalClients(
    {
      sqsSns: endpoint(ports.sqsSns),
      dynamodb: endpoint(ports.dynamodb),
      kinesis: endpoint(ports.kinesis),
      iotData: endpoint(ports.iotData),
    },
    region,
  );
  try {
    const report = await runRedrive(localRedrivePorts(functions, clients)(queue), {
      queue,
      dryRun: values['dry-run'],
      ...(max === undefined ? {} : { max }),
      ...(values.order === undefined ? {} : { orderId: values.order }),
      owner: `npm-run-redrive-${randomUUID()}`,
    });
    console.log(JSON.stringify(report, null, 2));
  } finally {
    clients.destroy();
  }
}

class UsageError extends Error {}

main().catch((error: unknown) => {
  console.error(`redrive: ${error instanceof Error ? error.message : error}`);
  if (!(error instanceof UsageError)) console.error('Is the local cloud running (npm start)?');
  process.exit(1);
});
