import { describe, expect, it } from 'vitest';
import { faultSwitchFromEnv } from '../../shared/adapters/fault-switch.js';
import { InjectedFaultError } from '../../shared/core/errors.js';
import { functionFaultsOf, planForFaultRate, writeFunctionFaults } from '../../shared/faults/fault-plan.js';
import type { InjectedFault } from '../../shared/faults/fault-reports.js';

const event = (index: number) => ({
  orderId: `o-${index}`,
  customerId: `c-${index}`,
  eventId: `evt-${index}`,
});
const events = Array.from({ length: 200 }, (_, index) => event(index));

/** The environment a chaos run gives a function: its faults, with poison events at `rate`. */
function chaosEnvironment(rate: number, functionName = 'orderflow-test-processOrder'): NodeJS.ProcessEnv {
  const faults = { ...functionFaultsOf(planForFaultRate(0, 7), { consumer: true }), poisonEventRate: rate };
  return { ORDERFLOW_CHAOS: writeFunctionFaults(faults), AWS_LAMBDA_FUNCTION_NAME: functionName };
}

/** The events the switch fails. */
function failing(check: (each: ReturnType<typeof event>) => void): string[] {
  return events.flatMap((each) => {
    try {
      check(each);
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(InjectedFaultError);
      return [each.eventId];
    }
  });
}

describe('faultSwitchFromEnv', () => {
  it('fails nothing when no switch is set, as in every deployed stage', () => {
    expect(failing(faultSwitchFromEnv({}).check)).toEqual([]);
  });

  it("fails every event of the customer ORDERFLOW_FAULT_CUSTOMER_ID names, and only that customer's", () => {
    expect(failing(faultSwitchFromEnv({ ORDERFLOW_FAULT_CUSTOMER_ID: 'c-3' }).check)).toEqual(['evt-3']);
  });

  it('fails the same share of poison events on every delivery, and reports each failure', () => {
    // Prepare
    const reports: InjectedFault[] = [];
    const faults = faultSwitchFromEnv(chaosEnvironment(0.1), (fault) => reports.push(fault));

    // Act
    const first = failing(faults.check);
    const again = failing(faults.check);

    // Assess: about a tenth of 200 events (binomial: 5 standard deviations is ±21).
    expect(first.length).toBeGreaterThan(0);
    expect(Math.abs(first.length - 20)).toBeLessThanOrEqual(21);
    expect(again).toEqual(first);
    expect(reports).toHaveLength(first.length * 2);
    expect(reports[0]).toEqual({
      kind: 'poison-event',
      site: 'orderflow-test-processOrder',
      target: first[0],
    });
  });

  it('poisons other events in another function, so that each consumer meets its own', () => {
    // Act
    const inProcessOrder = failing(faultSwitchFromEnv(chaosEnvironment(0.2), () => {}).check);
    const inAnalytics = failing(
      faultSwitchFromEnv(chaosEnvironment(0.2, 'orderflow-test-aggregateAnalytics'), () => {}).check,
    );

    // Assess
    expect(inAnalytics).not.toEqual(inProcessOrder);
  });

  it('says in the error that a chaos run made the event fail, and until when', () => {
    // Prepare
    const faults = faultSwitchFromEnv(chaosEnvironment(1), () => {});

    // Act & Assess
    expect(() => faults.check(event(1))).toThrow(
      "Injected fault for order 'o-1': event evt-1 is poison in this chaos run (ORDERFLOW_CHAOS); it fails until the run turns its faults off.",
    );
  });
});
