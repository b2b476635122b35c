/**
 * `npm run legacy -- send <file.json> | listen [--account A] | rejected`: a stand-in ERP for the bridge, against the
 * broker of the running local cloud (`npm start`), or the one `LEGACY_BROKER_URL` names (`amqp://user:pass@host`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { brokerUrlOf, readBrokerCredentials } from '../shared/adapters/legacy-broker.js';
import { LOCAL_CREDENTIALS } from './aws-clients.js';
import { consoleIo } from './commands/command.js';
import { legacyCommand } from './commands/legacy-command.js';
import { defaultPorts } from './listen-ports.js';
import { NPM_START_PACKAGE_DIR } from './package-stack.js';
import { loadPackagedStack, TEMPLATE_FILE } from './template/packaged-stack.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

/** The local cloud's broker: its AMQP port, and its user from the local Secrets Manager, as the bridge reads it. */
async function localBrokerUrl(): Promise<string> {
  if (!existsSync(join(NPM_START_PACKAGE_DIR, TEMPLATE_FILE))) {
    throw new Error('no local cloud has been started in this checkout: run npm start first');
  }
  const packaged = await loadPackagedStack(NPM_START_PACKAGE_DIR);
  const secret = Object.values(packaged.template.Resources).find(
    (resource) => resource.Type === 'AWS::SecretsManager::Secret',
  );
  const secretName = secret?.Properties?.Name;
  if (typeof secretName !== 'string') {
    throw new Error('the packaged stack has no broker secret: is the bridge disabled (param legacyBridge)?');
  }
  const ports = defaultPorts(packaged.functions);
  const secrets = new SecretsManagerClient({
    region: packaged.region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: `http://127.0.0.1:${ports.secretsManager}`,
    maxAttempts: 1,
  });
  try {
    return brokerUrlOf(`amqp://127.0.0.1:${ports.amqp}`, await readBrokerCredentials(secrets, secretName));
  } catch (error) {
    throw new Error(`cannot read the broker's user from the local cloud (is npm start running?): ${error}`, {
      cause: error,
    });
  } finally {
    secrets.destroy();
  }
}

const stopped = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));

process.exitCode = await legacyCommand(
  process.argv.slice(2),
  {
    brokerUrl: async () => process.env.LEGACY_BROKER_URL || localBrokerUrl(),
    stopped,
  },
  consoleIo,
);
process.exit();
