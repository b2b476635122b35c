/**
 * `npm run demo [-- --start]`: a scripted story told against the running local cloud (`npm start`), or, with
 * `--start`, against one started in this process on free ports (the ERP bridge's broker off: its step is skipped), with the pipeline's
 * live figures from `/_local/pipeline` and a summary table at the end; exit 0 only if every step behaved as told.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signLocalToken } from './auth/local-token.js';
import { loadOrCreateSigningKey } from './auth/signing-key.js';
import { startLocalCloud } from './cloud.js';
import { consoleIo } from './commands/command.js';
import { type DemoCloud, demoCommand } from './commands/demo-command.js';
import { localBrokerUrl } from './commands/local-broker.js';
import { localTargetOf, localTargetOfPackage } from './commands/local-target.js';
import { ANY_FREE_PORTS, defaultPorts } from './listen-ports.js';
import { HOST } from './net.js';
import { NPM_START_PACKAGE_DIR, packageStack } from './package-stack.js';
import { loadPackagedStack, theJwtAuthorizer } from './template/packaged-stack.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

async function runningCloud(): Promise<DemoCloud> {
  const packaged = await loadPackagedStack(NPM_START_PACKAGE_DIR);
  const ports = defaultPorts(packaged.functions);
  const { issuer, audience } = theJwtAuthorizer(packaged);
  const key = await loadOrCreateSigningKey();
  return {
    http: `http://${HOST}:${ports.http}`,
    mqtt: `mqtt://${HOST}:${ports.mqtt}`,
    token: (sub, scopes) => signLocalToken(key, { sub, scopes, issuer, audience: audience[0] as string }),
    target: async () => localTargetOfPackage(packaged),
    // Not reachable (no broker, or no user to read): the ERP step is skipped.
    legacyBrokerUrl: () => localBrokerUrl().catch(() => undefined),
    close: async () => undefined,
  };
}

async function startedCloud(): Promise<DemoCloud> {
  const packageDir = await mkdtemp(join(tmpdir(), 'orderflow-demo-'));
  consoleIo.out('demo: packaging the stack (serverless package --stage local) ...');
  await packageStack({ stage: 'local', outputDir: packageDir });
  const cloud = await startLocalCloud({
    packageDir,
    ports: ANY_FREE_PORTS,
    legacyBroker: false,
    functionOutput: 'silent',
    statusIntervalMs: 0,
    log: () => undefined,
  });
  return {
    http: cloud.endpoints.http,
    mqtt: cloud.endpoints.mqtt,
    token: (sub, scopes) => cloud.issueToken({ sub, scopes }),
    target: async () => localTargetOf(cloud),
    legacyBrokerUrl: async () => cloud.legacyBrokerUrl,
    close: async () => {
      await cloud.stop();
      await rm(packageDir, { recursive: true, force: true });
    },
  };
}

process.exitCode = await demoCommand(
  process.argv.slice(2),
  { cloud: (start) => (start ? startedCloud() : runningCloud()) },
  consoleIo,
);
process.exit();
