import { InjectedFaultError } from '../core/errors.js';

/** Test-only: lets end-to-end tests make a consumer fail, to drive messages through retries to the DLQ. */
export interface FaultSwitch {
  /** Throws `InjectedFaultError` (retryable) when the switch is on for this customer. */
  check(event: { orderId: string; customerId: string }): void;
}

/**
 * Reads `ORDERFLOW_FAULT_CUSTOMER_ID` once, at cold start: off when unset (every deployed stage — serverless.yml
 * never sets it), and nothing in a request or an event can turn it on. Only the local cloud's tests set it, for one
 * function, so that every event of that one customer fails while everything else flows.
 */
export function faultSwitchFromEnv(env: NodeJS.ProcessEnv = process.env): FaultSwitch {
  const customerId = env.ORDERFLOW_FAULT_CUSTOMER_ID;
  if (customerId === undefined || customerId === '') return { check: () => undefined };
  return {
    check(event) {
      if (event.customerId === customerId) throw new InjectedFaultError(event.orderId);
    },
  };
}
