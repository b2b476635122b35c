/**
 * `npm run bench [-- --check] [--no-package]`: packages the stack, measures the bundles, cold starts, CPU per message
 * of every stage against the naive twin and the bare SDK, and the pipeline end to end on a local cloud of its own
 * against the emulators' floor; writes `bench/results/latest.json` and `latest.md`. Calls no AWS: the stages run
 * against an in-process fake, the end-to-end run against the local cloud's emulators.
 */
import { join } from 'node:path';
import { consoleIo } from '../local/commands/command.js';
import { PROJECT_ROOT } from '../local/package-stack.js';
import { DEFAULT_PLAN, runBench, writeResults } from './bench.js';
import { benchCommand } from './bench-command.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

const RESULTS_DIR = join(PROJECT_ROOT, 'bench', 'results');

process.exitCode = await benchCommand(
  process.argv.slice(2),
  (options, onProgress) =>
    runBench({
      workDir: join(PROJECT_ROOT, '.local-cloud', 'bench'),
      package: options.package,
      coldStartProcesses: 11,
      firstInvocationProcesses: 5,
      messagesPerStage: 3000,
      endToEnd: DEFAULT_PLAN,
      onProgress,
    }),
  async (results, markdown) => {
    await writeResults(RESULTS_DIR, results, markdown);
    return 'bench/results/latest.json, bench/results/latest.md';
  },
  consoleIo,
);
