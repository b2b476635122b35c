/**
 * `npm run legacy -- send <file.json> | listen [--account A] | rejected`: a stand-in ERP for the bridge, against the
 * broker of the running local cloud (`npm start`), or the one `LEGACY_BROKER_URL` names (`amqp://user:pass@host`).
 */
import { consoleIo } from './commands/command.js';
import { legacyCommand } from './commands/legacy-command.js';
import { localBrokerUrl } from './commands/local-broker.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

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
