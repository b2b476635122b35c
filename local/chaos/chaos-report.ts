import { FAULT_KINDS, type FaultKind } from '../../shared/faults/fault-plan.js';
import { type DeadLetterDepth, figures, type Verdict } from '../load/report.js';
import type { AnalyticsVerdict, Failures, LostOrder, StreamVerdict } from '../load/verdicts.js';
import type { ChaosStatusVerdict, CreatedTwice, GhostOrder } from './chaos-verdicts.js';

/** What the HTTP API answered a chaos run. */
export interface ChaosHttpSummary {
  /** Orders whose create was answered 201. */
  accepted: number;
  /** Every attempt's status, counted (`0`: no answer). */
  answers: Record<string, number>;
  /** Attempts sent again after a 503, a 409 request-in-progress, a 502/504 or no answer. */
  retries: number;
  /** Pays and cancels whose answers leave open whether they were applied (a 409 after a silent failure). */
  ambiguous: number;
  /**
   * Of those, the ones the order shows were applied: their client was told 409 although an attempt went through.
   * Without a key a client cannot tell (README); with one, the retry must be recognised and answered as applied.
   */
  appliedThoughRefused: { keyed: number; unkeyed: number };
  /** Orders whose requests never settled, or were answered in a way the workload never provokes. */
  unsettled: Failures<{ index: number; orderId?: string; why: string }>;
}

export interface ParkedMessage {
  queue: string;
  messageId: string;
  groupId: string;
  reason: string;
}

export interface RecoverySummary {
  /** Passes of redrive + replay it took until everything settled. */
  passes: number;
  redriven: number;
  replayedRanges: number;
  /** Ranges a replay could not replay (their failure records stay). */
  failedRanges: number;
  parked: ParkedMessage[];
  /** From turning the faults off until every order settled, or the deadline. */
  waitedMs: number;
  timedOut: boolean;
  /** When the deadline passed: what was still busy (a queue's depth, SNS deliveries owed). */
  busyAtDeadline?: string;
}

export interface ChaosReport {
  runId: string;
  seed: number;
  orders: number;
  faultRate: number;
  concurrency: number;
  /** How many faults of each kind were injected. */
  faults: Record<FaultKind, number>;
  http: ChaosHttpSummary;
  /** Accepted orders whose final state is known from their answers (the others are in `http.unsettled`). */
  judged: number;
  lost: Failures<LostOrder>;
  createdTwice: Failures<CreatedTwice>;
  /** Orders on the stream that no answer named, and that no create retried without a key explains. */
  ghosts: Failures<GhostOrder & { why: string }>;
  /** Extra orders of creates retried without a key after a silent failure: the documented cost, not a fault. */
  extraOrders: number;
  stream: StreamVerdict;
  statuses: ChaosStatusVerdict;
  subscriberError?: string;
  analytics: AnalyticsVerdict;
  recovery: RecoverySummary;
  /** Every DLQ, subscription DLQ and on-failure destination after the recovery. */
  deadLetters: DeadLetterDepth[];
  /** From the first POST to the end of the recovery. */
  seconds: number;
}

export function emptyFaultCounts(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
}

/** One verdict per promise of a chaos run: the run passes when every one holds. */
export function chaosVerdictsOf(report: ChaosReport): Verdict[] {
  const { http, lost, createdTwice, ghosts, stream, statuses, analytics, recovery, deadLetters } = report;
  const left = deadLetters.filter(({ after }) => after > 0);
  return [
    {
      name: 'every request settled',
      holds: http.unsettled.count === 0,
      detail: `${http.accepted} of ${report.orders} orders accepted; ${http.unsettled.count} orders with a request that never settled`,
    },
    {
      name: 'a keyed retry is answered as what its first attempt did',
      holds: http.appliedThoughRefused.keyed === 0,
      detail: `${http.appliedThoughRefused.keyed} keyed pays or cancels applied though their retry was answered 409`,
    },
    {
      name: 'no order lost',
      holds: lost.count === 0,
      detail: `${lost.count} of ${report.judged} orders not at a final state their answered commands allow`,
    },
    {
      name: 'nothing applied twice',
      holds: createdTwice.count + stream.duplicated.count + ghosts.count === 0,
      detail: `${createdTwice.count} repeated creates made two orders, ${stream.duplicated.count} status changes made twice, ${ghosts.count} orders placed although their create failed`,
    },
    {
      name: 'every status change on Kinesis once per (orderId, seq)',
      holds: stream.missing.count + stream.duplicated.count + stream.unexpected.count === 0,
      detail: `${stream.missing.count} orders missing changes, ${stream.duplicated.count} changes made twice, ${stream.unexpected.count} unexpected`,
    },
    {
      name: 'analytics add up, exactly',
      holds: analytics.mismatched.count === 0,
      detail: `expected ${figures(analytics.expected)}; windows ${figures(analytics.actual)}`,
    },
    {
      name: 'every status on MQTT, first arriving in order',
      holds: statuses.incomplete.count + statuses.outOfOrder.count + statuses.unexpected.count === 0,
      detail: `${statuses.incomplete.count} orders missing statuses, ${statuses.outOfOrder.count} out of order, ${statuses.unexpected.count} unexpected (${statuses.replayed} first sent by a replay)`,
    },
    {
      name: 'DLQs and activity-failures empty',
      holds: left.length === 0 && recovery.failedRanges === 0,
      detail:
        left.length === 0
          ? `${deadLetters.length} queues empty`
          : left.map(({ name, after }) => `${name} ${after}`).join(', '),
    },
    {
      name: 'nothing parked',
      holds: recovery.parked.length === 0,
      detail:
        recovery.parked.length === 0
          ? 'no message parked'
          : recovery.parked.map(({ messageId, reason }) => `${messageId}: ${reason}`).join('; '),
    },
  ];
}

export function chaosPassed(report: ChaosReport): boolean {
  return chaosVerdictsOf(report).every((verdict) => verdict.holds);
}

/** The report for a person: the faults, the answers, the way back, then a few examples of each failure and a verdict per line. */
export function formatChaosReport(report: ChaosReport): string[] {
  const { http, stream, statuses, analytics, recovery } = report;
  const answers = Object.entries(http.answers)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, count]) => `${status === '0' ? 'no answer' : status} ×${count}`)
    .join(', ');
  const injected = FAULT_KINDS.map((kind) => `${kind} ${report.faults[kind]}`).join(', ');
  const lines = [
    `chaos run ${report.runId}: ${report.orders} orders, fault rate ${report.faultRate}, seed ${report.seed}, ${report.concurrency} clients, ${report.seconds.toFixed(1)} s`,
    `faults       ${injected}`,
    `http         ${http.accepted}/${report.orders} orders accepted; answers ${answers}; retries ${http.retries}; ambiguous commands ${http.ambiguous} (applied though answered 409: ${http.appliedThoughRefused.keyed} with a key, ${http.appliedThoughRefused.unkeyed} without)`,
    `recovery     ${recovery.passes} passes in ${(recovery.waitedMs / 1000).toFixed(1)} s${recovery.timedOut ? ` (deadline passed${recovery.busyAtDeadline === undefined ? '' : `: ${recovery.busyAtDeadline}`})` : ''}: ${recovery.redriven} messages redriven, ${recovery.replayedRanges} ranges replayed (${recovery.failedRanges} failed), ${recovery.parked.length} parked`,
    `lost         ${report.lost.count} of ${report.judged} orders not at a final state their answers allow`,
    `twice        ${report.createdTwice.count} repeated creates made two orders; ${stream.duplicated.count} (orderId, seq) with two eventIds; ${report.ghosts.count} orders placed although their create failed (and ${report.extraOrders} extra orders of creates retried without a key)`,
    `kinesis      ${stream.records} records (${stream.repeated} repeats of one eventId); ${stream.missing.count} orders missing changes, ${stream.unexpected.count} unexpected`,
    `mqtt         ${statuses.messages} statuses (${statuses.repeated} repeats, ${statuses.staleRepeats} of them after a later status; ${statuses.replayed} first sent by a replay); ${statuses.incomplete.count} orders missing statuses, ${statuses.outOfOrder.count} first arrivals out of order, ${statuses.unexpected.count} unexpected`,
    ...(report.subscriberError === undefined
      ? []
      : [`             (the run's MQTT connection broke: ${report.subscriberError})`]),
    `analytics    expected ${figures(analytics.expected)}`,
    `             windows  ${figures(analytics.actual)}`,
    `dead letters ${report.deadLetters.map(({ name, before, after }) => `${name} ${before}→${after}`).join(', ')}`,
    ...recovery.parked.map(
      ({ queue, messageId, groupId, reason }) =>
        `parked       ${queue} ${messageId} (order ${groupId}): ${reason}`,
    ),
  ];
  const examples: Array<[string, Failures<unknown>]> = [
    ['unsettled', http.unsettled],
    ['lost', report.lost],
    ['created twice', report.createdTwice],
    ['ghost order', report.ghosts],
    ['kinesis missing', stream.missing],
    ['kinesis duplicated', stream.duplicated],
    ['kinesis unexpected', stream.unexpected],
    ['mqtt missing', statuses.incomplete],
    ['mqtt out of order', statuses.outOfOrder],
    ['mqtt unexpected', statuses.unexpected],
    ['analytics region', analytics.mismatched],
  ];
  for (const [label, failures] of examples) {
    for (const example of failures.examples) lines.push(`  e.g. ${label}: ${JSON.stringify(example)}`);
  }
  for (const verdict of chaosVerdictsOf(report)) {
    lines.push(`${verdict.holds ? 'PASS' : 'FAIL'}  ${verdict.name} (${verdict.detail})`);
  }
  return lines;
}
