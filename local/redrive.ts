/**
 * `npm run redrive -- --queue fulfillment|review [--dry-run] [--max N] [--order ID]`: redrives a DLQ of the running
 * local cloud (`npm start`) with the same code as the `redriveDlq` Lambda, and prints what moved and what was parked.
 */
import { consoleIo } from './commands/command.js';
import { connectToLocalCloud } from './commands/local-target.js';
import { redriveCommand } from './commands/redrive-command.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await redriveCommand(process.argv.slice(2), () => connectToLocalCloud(), consoleIo);
