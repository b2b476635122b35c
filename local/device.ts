/**
 * `npm run device -- ship <orderId> | deliver <orderId> | retry`: a stand-in warehouse scanner on the MQTT broker of
 * the running local cloud (`npm start`; port 1883 unless `ORDERFLOW_MQTT_PORT` says otherwise), and the resend of
 * what its scan-failures queue holds.
 */
import { consoleIo } from './commands/command.js';
import { deviceCommand, scanFailuresOf } from './commands/device-command.js';
import { connectToLocalCloud } from './commands/local-target.js';
import { defaultPorts } from './listen-ports.js';
import { HOST } from './net.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

process.exitCode = await deviceCommand(
  process.argv.slice(2),
  {
    // The MQTT port does not depend on the stack's functions: a scan needs no packaged stack.
    mqttUrl: () => `mqtt://${HOST}:${defaultPorts([]).mqtt}`,
    scanFailures: async () => scanFailuresOf(await connectToLocalCloud()),
  },
  consoleIo,
);
process.exit();
