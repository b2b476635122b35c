import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SentRequest } from '../../local/chaos/chaos-driver.js';
import {
  type CommandFate,
  expectationOf,
  fateOfCommand,
  reachedCandidate,
} from '../../local/chaos/chaos-expectations.js';
import { expectedFinalState } from '../../local/load/workload.js';

/** A request whose attempts were answered `statuses`, the last one settling it. */
function sent(...statuses: number[]): SentRequest {
  const status = statuses.at(-1) ?? 0;
  return {
    statuses,
    answer: {
      status,
      body: status === 409 ? { type: '/problems/transition-not-allowed' } : {},
      retries: statuses.length - 1,
    },
  };
}

describe('fateOfCommand', () => {
  it.each<[string, SentRequest[], CommandFate['kind']]>([
    ['answered 202', [sent(202)], 'applied'],
    ['answered 202 after a 503', [sent(503, 503, 202)], 'applied'],
    ['refused, repeated and accepted the first time', [sent(202), sent(409)], 'applied'],
    ['answered 409 at once', [sent(409)], 'refused'],
    ['answered 409 after a 503: its first attempt may have gone through', [sent(503, 409)], 'maybe'],
    ['answered 409 after no answer at all', [sent(0, 409)], 'maybe'],
    ['given up on a 503', [sent(503, 503)], 'unsettled'],
    ['answered 422', [sent(422)], 'unexpected'],
  ])('takes a command %s as %s', (_, requests, kind) => {
    expect(fateOfCommand(requests).kind).toBe(kind);
  });
});

describe('expectationOf', () => {
  it('allows both endings when a cancel was accepted and the pay may or may not have gone through first', () => {
    // Act
    const expectation = expectationOf({ kind: 'maybe', why: '503→409' }, { kind: 'applied' });

    // Assess
    expect(expectation.kind === 'known' && expectation.candidates.map(({ path }) => path.join(' '))).toEqual([
      'PLACED PAID CANCELLED',
      'PLACED CANCELLED',
    ]);
  });

  it('expects FULFILLED when the pay was accepted and no cancel was sent', () => {
    // Act
    const expectation = expectationOf({ kind: 'applied' }, undefined);

    // Assess
    expect(expectation).toEqual({
      kind: 'known',
      candidates: [{ status: 'FULFILLED', version: 3, path: ['PLACED', 'PAID', 'FULFILLED'], paid: true }],
    });
  });

  it.each<[string, CommandFate, CommandFate | undefined]>([
    ['both refused', { kind: 'refused' }, { kind: 'refused' }],
    ['a pay never settled', { kind: 'unsettled', answer: '503→503' }, undefined],
    ['a cancel answered 400', { kind: 'applied' }, { kind: 'unexpected', answer: '400' }],
  ])('commits to nothing when %s', (_, pay, cancel) => {
    expect(expectationOf(pay, cancel).kind).toBe('unknown');
  });

  it('always counts the ending the commands really had among the candidates', () => {
    // What really happened to an order, and answers a faulty API may have given for it.
    const truth = fc.record({ paid: fc.boolean(), cancel: fc.option(fc.boolean(), { nil: undefined }) });
    const answerFor = (applied: boolean) =>
      applied
        ? fc.constantFrom<SentRequest[]>([sent(202)], [sent(503, 202)], [sent(503, 409)], [sent(0, 409)])
        : fc.constantFrom<SentRequest[]>([sent(409)], [sent(503, 409)]);
    fc.assert(
      fc.property(
        truth.chain(({ paid, cancel }) =>
          fc.tuple(
            fc.constant({ paid, cancel }),
            answerFor(paid),
            cancel === undefined ? fc.constant(undefined) : answerFor(cancel),
          ),
        ),
        ([{ paid, cancel }, pays, cancels]) => {
          // A cancel and a pay that both went through: the pay came first (a cancelled order refuses a pay).
          const real = expectedFinalState({
            pay: paid ? 202 : 409,
            ...(cancel === undefined ? {} : { cancel: cancel ? 202 : 409 }),
          });
          fc.pre(real.kind === 'known');

          // Act
          const expectation = expectationOf(
            fateOfCommand(pays),
            cancels === undefined ? undefined : fateOfCommand(cancels),
          );

          // Assess
          expect(expectation.kind).toBe('known');
          if (expectation.kind === 'known' && real.kind === 'known') {
            expect(expectation.candidates).toContainEqual(real.expected);
          }
        },
      ),
    );
  });
});

describe('reachedCandidate', () => {
  it('finds the candidate an order was read back at, and none for any other state', () => {
    // Prepare
    const expectation = expectationOf({ kind: 'maybe', why: '503→409' }, { kind: 'applied' });
    const candidates = expectation.kind === 'known' ? expectation.candidates : [];

    // Act & Assess
    expect(reachedCandidate(candidates, { status: 'CANCELLED', version: 2 })?.path).toEqual([
      'PLACED',
      'CANCELLED',
    ]);
    expect(reachedCandidate(candidates, { status: 'CANCELLED', version: 3 })?.paid).toBe(true);
    expect(reachedCandidate(candidates, { status: 'PAID', version: 2 })).toBeUndefined();
    expect(reachedCandidate(candidates, undefined)).toBeUndefined();
  });
});
