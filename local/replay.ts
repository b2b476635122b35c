/**
 * `npm run replay -- --from activity-failures [--dry-run]`: re-processes the Kinesis records that the stream
 * consumers of the running local cloud (`npm start`) gave up on, from the ranges their failure records name.
 */
import { consoleIo } from './commands/command.js';
import { connectToLocalCloud } from './commands/local-target.js';
import { replayCommand } from './commands/replay-command.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await replayCommand(process.argv.slice(2), () => connectToLocalCloud(), consoleIo);
