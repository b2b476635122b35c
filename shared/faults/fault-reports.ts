import { BroadcastChannel } from 'node:worker_threads';
import type { FaultKind } from './fault-plan.js';

/**
 * How an injected fault is counted: the injector posts it on a `BroadcastChannel`, which reaches every thread of
 * the process — the local cloud's function environments are worker threads of the process that runs the chaos
 * command, so the command hears every fault it caused, crashes included (a message posted just before a worker
 * exits still arrives). Deployed, nothing listens and nothing posts: the faults are off.
 */

export const FAULT_CHANNEL_NAME = 'orderflow-injected-faults';

export interface InjectedFault {
  kind: FaultKind;
  /** Where it struck: a function (`orderflow-local-processOrder`), a poller, a subscription. */
  site: string;
  /** What it struck: `dynamodb UpdateItem`, a messageId, an eventId. */
  target: string;
}

export type ReportFault = (fault: InjectedFault) => void;

/** Posts each fault on the channel; the channel never keeps a thread alive. */
export function faultReporter(channelName = FAULT_CHANNEL_NAME): ReportFault {
  let channel: BroadcastChannel | undefined;
  return (fault) => {
    if (channel === undefined) {
      channel = new BroadcastChannel(channelName);
      channel.unref();
    }
    channel.postMessage(fault);
  };
}

/** Hears every fault posted on the channel by any thread of this process, until `close`. */
export function listenForFaults(
  onFault: (fault: InjectedFault) => void,
  channelName = FAULT_CHANNEL_NAME,
): { close(): void } {
  const channel = new BroadcastChannel(channelName);
  channel.unref();
  channel.onmessage = (message) => {
    const fault = (message as { data: unknown }).data;
    if (isInjectedFault(fault)) onFault(fault);
  };
  return { close: () => channel.close() };
}

function isInjectedFault(value: unknown): value is InjectedFault {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, site, target } = value as Record<string, unknown>;
  return typeof kind === 'string' && typeof site === 'string' && typeof target === 'string';
}
