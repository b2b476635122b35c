/**
 * `npm run chaos -- --orders N [--fault-rate R] [--seed S]`: starts a local cloud of its own, in this process, on free
 * ports (a running `npm start` is left alone), with a chaos run's faults; drives the workload through it, turns the
 * faults off, redrives and replays what failed, and proves that nothing was lost, applied twice or miscounted
 * (exit 0 when nothing was, 1 when something was). The cloud's log and its functions' output go to
 * `.local-cloud/chaos-<seed>.log`.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { planForFaultRate } from '../shared/faults/fault-plan.js';
import { generateSigningKey } from './auth/signing-key.js';
import { runChaos } from './chaos/run-chaos.js';
import { startLocalCloud } from './cloud.js';
import { chaosCommand } from './commands/chaos-command.js';
import { consoleIo } from './commands/command.js';
import { ANY_FREE_PORTS } from './listen-ports.js';
import { PROJECT_ROOT, packageStack } from './package-stack.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

const LOCAL_CLOUD_DIR = join(PROJECT_ROOT, '.local-cloud');
/** Its own package, so that packaging for a chaos run never changes what a running `npm start` runs. */
const CHAOS_PACKAGE_DIR = join(LOCAL_CLOUD_DIR, 'chaos-package');
/** Every port 0: any free one. */
/**
 * Retries come back after a visibility timeout: the template's 60 s would make a run with thousands of retried
 * messages last hours. Five receives to a DLQ take under a minute with 10 s.
 */
const VISIBILITY_TIMEOUT_SECONDS = 10;

process.exitCode = await chaosCommand(
  process.argv.slice(2),
  async (options, onProgress) => {
    if (options.package) {
      process.stderr.write('chaos: packaging the stack (serverless package --stage local) ...\n');
      await packageStack({ stage: 'local', outputDir: CHAOS_PACKAGE_DIR });
    }
    await mkdir(LOCAL_CLOUD_DIR, { recursive: true });
    const logFile = join(LOCAL_CLOUD_DIR, `chaos-${options.seed}.log`);
    const log = createWriteStream(logFile);
    process.stderr.write(`chaos: seed ${options.seed}; the local cloud's log: ${logFile}\n`);
    const cloud = await startLocalCloud({
      packageDir: CHAOS_PACKAGE_DIR,
      ports: ANY_FREE_PORTS,
      // The ERP bridge is not part of this run: its broker stays off.
      legacyBroker: false,
      functionOutput: (functionName, line) => log.write(`[${functionName}] ${line}\n`),
      log: (line) => log.write(`${new Date().toISOString()} ${line}\n`),
      signingKey: await generateSigningKey(),
      maxVisibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      faults: planForFaultRate(options.faultRate, options.seed),
    });
    try {
      return await runChaos(cloud, {
        orders: options.orders,
        concurrency: options.concurrency,
        faultRate: options.faultRate,
        seed: options.seed,
        cancelRatio: options.cancelRatio,
        settleTimeoutMs: options.settleSeconds * 1000,
        onProgress,
      });
    } finally {
      await cloud.stop();
      log.end();
    }
  },
  consoleIo,
);
