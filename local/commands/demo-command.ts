import { connectAsync, type MqttClient } from 'mqtt';
import type { DemoCloud } from '../demo/cloud.js';
import { type DemoStepResult, resultOf, summaryTable } from '../demo/results.js';
import { tellStory } from '../demo/tell-story.js';
import { type CommandIo, EXIT, parseCommandLine, positiveIntegerOption, runCommand } from './command.js';

export type { DemoCloud } from '../demo/cloud.js';
export { figuresLine } from '../demo/figures.js';
export { type DemoStepResult, resultOf, summaryTable } from '../demo/results.js';
export { SKIPPED_LEGACY } from '../demo/steps/legacy-erp-order.js';

export const DEMO_USAGE = 'npm run demo [-- --start] [--timeout-ms 30000]';

export interface DemoDependencies {
  /** The cloud to tell the story on; `start` says whether `--start` was given. */
  cloud(start: boolean): Promise<DemoCloud>;
}

/** The demo's exit code: 0 when every step passed or was skipped, and at least one passed. */
export function demoExitCode(results: readonly DemoStepResult[]): number {
  const passed =
    results.every((result) => resultOf(result) !== 'FAIL') && results.some((result) => result.pass);
  return passed ? EXIT.ok : EXIT.failed;
}

export function parseDemoArguments(argv: readonly string[]): { start: boolean; timeoutMs: number } {
  const { values } = parseCommandLine(argv, {
    options: { start: { type: 'boolean' }, 'timeout-ms': { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  return {
    start: values.start === true,
    timeoutMs: positiveIntegerOption(values['timeout-ms'], 'timeout-ms') ?? 30_000,
  };
}

/**
 * `npm run demo`: a scripted story told against the local cloud, each step printing what it does, what should
 * happen, and the pipeline's live figures while it waits; a summary table at the end. Exit 0 only if every step
 * behaved as narrated.
 */
export function demoCommand(
  argv: readonly string[],
  dependencies: DemoDependencies,
  io: CommandIo,
): Promise<number> {
  return runCommand(
    'demo',
    DEMO_USAGE,
    io,
    async () => {
      const { start, timeoutMs } = parseDemoArguments(argv);
      const cloud = await dependencies.cloud(start);
      let mqtt: MqttClient | undefined;
      try {
        mqtt = await connectAsync(cloud.mqtt, { protocolVersion: 4, reconnectPeriod: 0 });
        const results = await tellStory(cloud, mqtt, io, timeoutMs);
        io.out('');
        io.out(summaryTable(results));
        return demoExitCode(results);
      } finally {
        await mqtt?.endAsync();
        await cloud.close();
      }
    },
    () => 'Is the local cloud running (npm start)? Or start one with npm run demo -- --start.',
  );
}
