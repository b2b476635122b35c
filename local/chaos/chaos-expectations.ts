import { type ExpectedOrder, expectedFinalState, type PlacedOrder } from '../load/workload.js';
import type { SentRequest } from './chaos-driver.js';

/**
 * What the answers of a chaos run commit the pipeline to (pure). Under faults an answer can be ambiguous: a pay
 * refused with 409 after an attempt that failed with a 503 may have been applied by that attempt (its write went
 * through, its answer was lost) — a client without an Idempotency-Key cannot tell, nor can a keyed one once another
 * command changed the order in between. So each order has the final states its answers allow, and the one it reached
 * must be among them.
 */

/** A command as its answers leave it: surely applied, surely not, or either. */
export type CommandFate =
  | { kind: 'applied' }
  | { kind: 'refused' }
  | { kind: 'maybe'; why: string }
  | { kind: 'unsettled'; answer: string }
  | { kind: 'unexpected'; answer: string };

/** An attempt that failed without saying what happened: no answer, or a 5xx. */
const failedSilently = (status: number) => status === 0 || status >= 500;

/**
 * The fate of a pay or a cancel from its requests (one, or two when it was repeated): applied when one was answered
 * 202; refused when every one was answered 409 and no attempt failed silently before; either when an attempt failed
 * silently, a later one was refused, and none was accepted; unsettled when its client gave up on a silent failure;
 * unexpected for any other answer (the workload never provokes one).
 */
export function fateOfCommand(requests: readonly SentRequest[]): CommandFate {
  if (requests.some(({ answer }) => answer.status === 202)) return { kind: 'applied' };
  const odd = requests.find(({ answer }) => answer.status !== 409 && !failedSilently(answer.status));
  if (odd !== undefined) return { kind: 'unexpected', answer: describeRequest(odd) };
  const gaveUp = requests.find(({ answer }) => failedSilently(answer.status));
  if (gaveUp !== undefined) return { kind: 'unsettled', answer: describeRequest(gaveUp) };
  const silent = requests.find(({ statuses }) => statuses.some(failedSilently));
  if (silent === undefined) return { kind: 'refused' };
  return { kind: 'maybe', why: describeRequest(silent) };
}

function describeRequest({ statuses, answer }: SentRequest): string {
  const type = typeof answer.body?.type === 'string' ? ` ${answer.body.type}` : '';
  return `${statuses.join('→')}${type}`;
}

/** What an order's answers allow. */
export type OrderExpectation =
  | { kind: 'known'; candidates: ExpectedOrder[] }
  | { kind: 'unknown'; reason: string };

/**
 * The final states an order may be in, from its pay and (when sent) its cancel: every way the ambiguous ones may
 * have gone, each through the load run's rule (`expectedFinalState`): a cancel accepted wins, after PAID when the pay
 * went through first; otherwise an accepted pay ends FULFILLED. No candidate (nothing could have been accepted), or a
 * command with an unexpected answer: unknown.
 */
export function expectationOf(pay: CommandFate, cancel: CommandFate | undefined): OrderExpectation {
  for (const [name, fate] of [
    ['pay', pay],
    ['cancel', cancel],
  ] as const) {
    if (fate?.kind === 'unexpected') return { kind: 'unknown', reason: `${name} answered ${fate.answer}` };
    if (fate?.kind === 'unsettled')
      return { kind: 'unknown', reason: `${name} never settled: ${fate.answer}` };
  }
  const options = (fate: CommandFate) =>
    fate.kind === 'applied' ? [202] : fate.kind === 'refused' ? [409] : [202, 409];
  const candidates = new Map<string, ExpectedOrder>();
  for (const payStatus of options(pay)) {
    for (const cancelStatus of cancel === undefined ? [undefined] : options(cancel)) {
      const expectation = expectedFinalState({
        pay: payStatus,
        ...(cancelStatus === undefined ? {} : { cancel: cancelStatus }),
      });
      if (expectation.kind === 'known')
        candidates.set(expectation.expected.path.join(' '), expectation.expected);
    }
  }
  if (candidates.size === 0)
    return { kind: 'unknown', reason: 'nothing accepted: pay and cancel both refused' };
  return { kind: 'known', candidates: [...candidates.values()] };
}

/** The order as read back: its status and version (`undefined`: not readable). */
export interface ReadBack {
  status: string;
  version: number;
}

/**
 * The candidate the order reached, or `undefined` when it reached none of them (then it is lost: not where any
 * reading of its answers puts it).
 */
export function reachedCandidate(
  candidates: readonly ExpectedOrder[],
  readBack: ReadBack | undefined,
): ExpectedOrder | undefined {
  return candidates.find(
    (candidate) => candidate.status === readBack?.status && candidate.version === readBack.version,
  );
}

/**
 * The final state an order is in, from its status and version alone — the status machine allows one path to each:
 * FULFILLED v3, CANCELLED v3 (paid first), CANCELLED v2. `undefined` for a state that is not final.
 */
export function finalStateOf(state: ReadBack | undefined): ExpectedOrder | undefined {
  if (state === undefined) return undefined;
  const paths: Record<string, ExpectedOrder['path']> = {
    'FULFILLED 3': ['PLACED', 'PAID', 'FULFILLED'],
    'CANCELLED 3': ['PLACED', 'PAID', 'CANCELLED'],
    'CANCELLED 2': ['PLACED', 'CANCELLED'],
  };
  const path = paths[`${state.status} ${state.version}`];
  if (path === undefined) return undefined;
  return {
    status: state.status as ExpectedOrder['status'],
    version: state.version,
    path,
    paid: path.includes('PAID'),
  };
}

/** An accepted order's expectation as the load run's analytics rule takes it: the state it was found to reach. */
export function placedOrderOf(
  order: { orderId: string; region: string; total: number },
  reached: ExpectedOrder | undefined,
  reason: string,
): PlacedOrder {
  return {
    ...order,
    expectation: reached === undefined ? { kind: 'unknown', reason } : { kind: 'known', expected: reached },
  };
}

/** How a candidate reads in a report: `CANCELLED v3 (PLACED PAID CANCELLED)`. */
export function describeCandidates(candidates: readonly ExpectedOrder[]): string {
  return candidates
    .map((candidate) => `${candidate.status} v${candidate.version} (${candidate.path.join(' ')})`)
    .join(' or ');
}
