import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { brokerUrlOf, readBrokerCredentials } from '../../shared/adapters/legacy-broker.js';
import { LOCAL_CREDENTIALS } from '../aws-clients.js';
import { defaultPorts } from '../listen-ports.js';
import { NPM_START_PACKAGE_DIR } from '../package-stack.js';
import { loadPackagedStack, TEMPLATE_FILE } from '../template/packaged-stack.js';

/**
 * The broker of the local cloud `npm start` runs (the ERP bridge's): its AMQP port, and its user from the local
 * Secrets Manager, as the bridge reads it. Throws when no cloud was started in this checkout, the bridge is off, or
 * the cloud does not answer.
 */
export async function localBrokerUrl(packageDir = NPM_START_PACKAGE_DIR): Promise<string> {
  if (!existsSync(join(packageDir, TEMPLATE_FILE))) {
    throw new Error('no local cloud has been started in this checkout: run npm start first');
  }
  const packaged = await loadPackagedStack(packageDir);
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
