import { InjectedFaultError } from '../core/errors.js';
import type { FaultSwitch } from '../core/ports.js';
import { keyedChance } from '../faults/fault-dice.js';
import { readFunctionFaults } from '../faults/fault-plan.js';
import { faultReporter, type ReportFault } from '../faults/fault-reports.js';

/**
 * Reads the test-only switches once, at cold start: off when unset (every deployed stage — serverless.yml never sets
 * them), and nothing in a request or an event can turn them on. Only the local cloud sets them, for one function:
 * - `ORDERFLOW_FAULT_CUSTOMER_ID`: every event of that one customer fails while everything else flows (the
 *   end-to-end tests of DLQs, redrive and replay);
 * - `ORDERFLOW_CHAOS` (a chaos run): a share of the events (`poisonEventRate`) fail on every delivery, chosen by
 *   their eventId, the function and the run's seed — the same events every time, until the run turns its faults
 *   off.
 */
export function faultSwitchFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  report: ReportFault = faultReporter(),
): FaultSwitch {
  const customerId = env.ORDERFLOW_FAULT_CUSTOMER_ID || undefined;
  const { poisonEventRate: poisonRate = 0, seed = 0 } = readFunctionFaults(env) ?? {};
  const site = env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown-function';
  if (customerId === undefined && poisonRate === 0) return { check: () => undefined };
  return {
    check(event) {
      if (event.customerId === customerId) throw new InjectedFaultError(event.orderId);
      if (poisonRate > 0 && keyedChance(seed, `poison:${site}:${event.eventId}`) < poisonRate) {
        report({ kind: 'poison-event', site, target: event.eventId });
        throw new InjectedFaultError(
          event.orderId,
          `event ${event.eventId} is poison in this chaos run (ORDERFLOW_CHAOS); it fails until the run turns its faults off`,
        );
      }
    },
  };
}
