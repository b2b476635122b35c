/**
 * `npm run load -- --orders N --concurrency C [--cancel-ratio R] [--settle-seconds S]`: places orders with
 * concurrent clients against the running local cloud (`npm start`) and proves whether any was lost, reordered or
 * miscounted on the way (exit 0 when nothing was, 1 when something was).
 */
import { consoleIo } from './commands/command.js';
import { loadCommand } from './commands/load-command.js';
import { connectToRunningCloud } from './load/target.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

process.exitCode = await loadCommand(process.argv.slice(2), () => connectToRunningCloud(), consoleIo);
