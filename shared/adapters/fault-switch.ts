import { InjectedFaultError } from '../core/errors.js';
import type { FaultSwitch } from '../core/ports.js';

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
