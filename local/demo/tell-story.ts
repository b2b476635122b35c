import type { MqttClient } from 'mqtt';
import type { CommandIo } from '../commands/command.js';
import type { DemoCloud } from './cloud.js';
import type { DemoStepResult } from './results.js';
import { StepContext } from './step-context.js';
import { cancelRace } from './steps/cancel-race.js';
import { highValueReview } from './steps/high-value-review.js';
import { idempotentReplay } from './steps/idempotent-replay.js';
import { legacyErpOrder } from './steps/legacy-erp-order.js';
import { normalOrder } from './steps/normal-order.js';
import { poisonRedrive } from './steps/poison-redrive.js';
import { warehouseScans } from './steps/warehouse-scans.js';

/** The story's steps, told in this order; each prints its title, what it does, what should happen, and what did. */
export const STORY: ReadonlyArray<(context: StepContext) => Promise<void>> = [
  normalOrder,
  idempotentReplay,
  highValueReview,
  cancelRace,
  warehouseScans,
  poisonRedrive,
  legacyErpOrder,
];

/** Tells the story's steps one after the other against `cloud`; what each observed, for the summary. */
export async function tellStory(
  cloud: DemoCloud,
  mqtt: MqttClient,
  io: CommandIo,
  timeoutMs: number,
): Promise<DemoStepResult[]> {
  const context = await StepContext.open(cloud, mqtt, io, timeoutMs);
  for (const step of STORY) await step(context);
  return context.results;
}
