/**
 * `npm run trace -- <orderId> [--json]`: every log line of one order across all functions of the running local
 * cloud (`npm start` keeps them in `.local-cloud/logs/functions.ndjson`), in time order.
 */
import { consoleIo } from './commands/command.js';
import { traceCommand } from './commands/trace-command.js';
import { FUNCTION_LOG_FILE, readFunctionLog } from './logs/function-log.js';

process.exitCode = await traceCommand(
  process.argv.slice(2),
  () => readFunctionLog(FUNCTION_LOG_FILE),
  consoleIo,
);
