import type { HttpAnswer, OrderOutcome } from './http-driver.js';
import type { HttpFailure, HttpSummary } from './report.js';
import { failureList } from './verdicts.js';
import { type ExpectedOrder, expectedFinalState, type PlacedOrder } from './workload.js';

/** The orders the run placed (201), each with what its pay and cancel answers commit it to. */
export function placedOrdersOf(outcomes: readonly OrderOutcome[]): PlacedOrder[] {
  return outcomes.flatMap(({ orderId, total, plan, pay, cancel }) =>
    orderId === undefined || total === undefined
      ? []
      : [
          {
            orderId,
            region: plan.region,
            total,
            expectation: expectedFinalState({
              pay: pay?.status ?? 0,
              ...(cancel === undefined ? {} : { cancel: cancel.status }),
            }),
          },
        ],
  );
}

/** The orders with a known final state, by id: what every verdict checks. */
export function expectedOrdersOf(placed: readonly PlacedOrder[]): Map<string, ExpectedOrder> {
  return new Map(
    placed.flatMap(({ orderId, expectation }) =>
      expectation.kind === 'known' ? [[orderId, expectation.expected] as const] : [],
    ),
  );
}

/** What the HTTP API answered the run, and which orders it answered in a way that commits to nothing. */
export function summarizeHttp(outcomes: readonly OrderOutcome[]): HttpSummary {
  const count = (answers: Array<HttpAnswer | undefined>, status: number) =>
    answers.filter((answer) => answer?.status === status).length;
  const pays = outcomes.map((outcome) => outcome.pay);
  const cancels = outcomes.flatMap((outcome) => (outcome.cancel === undefined ? [] : [outcome.cancel]));
  const failures: HttpFailure[] = [];
  for (const outcome of outcomes) {
    const { plan, orderId, create, pay, cancel } = outcome;
    if (orderId === undefined) {
      failures.push({ index: plan.index, step: 'create', answer: describeAnswer(create) });
      continue;
    }
    const expectation = expectedFinalState({
      pay: pay?.status ?? 0,
      ...(cancel === undefined ? {} : { cancel: cancel.status }),
    });
    if (expectation.kind === 'known') continue;
    const step = pay?.status === 202 || pay?.status === 409 ? 'cancel' : 'pay';
    const answer = [pay, cancel]
      .flatMap((each, index) =>
        each === undefined ? [] : [`${index === 0 ? 'pay' : 'cancel'} ${describeAnswer(each)}`],
      )
      .join('; ');
    failures.push({ index: plan.index, orderId, step, answer });
  }
  return {
    placed: outcomes.filter((outcome) => outcome.orderId !== undefined).length,
    payAccepted: count(pays, 202),
    payRefused: count(pays, 409),
    cancelSent: cancels.length,
    cancelAccepted: count(cancels, 202),
    cancelRefused: count(cancels, 409),
    retries: outcomes
      .flatMap(({ create, pay, cancel }) => [create, pay, cancel])
      .reduce((sum, answer) => sum + (answer?.retries ?? 0), 0),
    failures: failureList(failures),
  };
}

function describeAnswer(answer: HttpAnswer): string {
  const retried = answer.retries > 0 ? ` after ${answer.retries} retries` : '';
  if (answer.status === 0) return `no answer${retried}: ${answer.error ?? 'unknown error'}`;
  const type = typeof answer.body?.type === 'string' ? ` ${answer.body.type}` : '';
  return `${answer.status}${type}${retried}`;
}
