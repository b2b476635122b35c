import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateTopicRule, parseTopicRuleSql, topicMatches } from '../../../local/iot/iot-sql.js';

/** A topic level: possibly empty, possibly starting with $, never containing /, + or #. */
const level = fc.string({ unit: fc.constantFrom('a', 'b', 'z', '0', '-', '_', '$', ' ', 'é'), maxLength: 4 });
/** A topic's levels; MQTT topics are never empty. */
const topicLevels = fc
  .array(level, { minLength: 1, maxLength: 6 })
  .filter((levels) => levels.join('/') !== '');

/** Whether IoT shields `topic` from `filter` because the topic is a $ topic and the filter starts with a wildcard. */
function shielded(filter: string, topic: string): boolean {
  return topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'));
}

/** A topic's levels with some replaced by + and, perhaps, the ones from `cut` on replaced by #. */
const derivedFilter = topicLevels.chain((levels) =>
  fc.record({
    levels: fc.constant(levels),
    wildcards: fc.array(fc.boolean(), { minLength: levels.length, maxLength: levels.length }),
    cut: fc.option(fc.integer({ min: 0, max: levels.length }), { nil: undefined }),
  }),
);

function filterOf(levels: readonly string[], wildcards: readonly boolean[], cut: number | undefined): string {
  const kept = levels.map((value, index) => (wildcards[index] ? '+' : value));
  return (cut === undefined ? kept : [...kept.slice(0, cut), '#']).join('/');
}

describe('topicMatches (properties)', () => {
  it('matches a topic with any filter made from it by + levels and a # tail, $ topics aside', () => {
    fc.assert(
      fc.property(derivedFilter, ({ levels, wildcards, cut }) => {
        // Prepare
        const topic = levels.join('/');
        const filter = filterOf(levels, wildcards, cut);

        // Act
        const matches = topicMatches(filter, topic);

        // Assess
        expect(matches).toBe(!shielded(filter, topic));
      }),
    );
  });

  it('does not match once a literal level of such a filter is changed', () => {
    fc.assert(
      fc.property(derivedFilter, fc.nat(), level, ({ levels, wildcards, cut }, pick, other) => {
        // Prepare
        const literal = levels
          .map((_, index) => index)
          .filter((index) => !wildcards[index] && (cut === undefined || index < cut));
        fc.pre(literal.length > 0);
        const changed = literal[pick % literal.length] ?? 0;
        const replacement = other === levels[changed] ? `${other}x` : other;
        const filter = filterOf(
          levels.map((value, index) => (index === changed ? replacement : value)),
          wildcards,
          cut,
        );
        fc.pre(filter !== '');

        // Act
        const matches = topicMatches(filter, levels.join('/'));

        // Assess
        expect(matches).toBe(false);
      }),
    );
  });

  it('does not match a topic with another number of levels when the filter has no #', () => {
    fc.assert(
      fc.property(derivedFilter, topicLevels, ({ levels, wildcards }, extra) => {
        // Prepare
        const filter = filterOf(levels, wildcards, undefined);
        const topic = [...levels, ...extra].join('/');

        // Act
        const matches = topicMatches(filter, topic);

        // Assess
        expect(matches).toBe(false);
      }),
    );
  });

  it('matches every topic with # alone, except a topic starting with $', () => {
    fc.assert(
      fc.property(topicLevels, (levels) => {
        // Prepare
        const topic = levels.join('/');

        // Act
        const matches = topicMatches('#', topic);

        // Assess
        expect(matches).toBe(!topic.startsWith('$'));
      }),
    );
  });
});

/** A literal of IoT SQL and its text in a statement. */
const literal = fc.oneof(
  fc.string().map((value) => `'${value.replaceAll("'", "''")}'`),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom('true', 'false', 'TRUE', 'NULL'),
);
const comparator = fc.constantFrom('=', '<>', '!=', '<', '<=', '>', '>=');
/** A JSON object payload without the field `absent`. */
const payloadWithoutAbsent = fc
  .dictionary(fc.string(), fc.jsonValue())
  .map((payload) => Object.fromEntries(Object.entries(payload).filter(([key]) => key !== 'absent')));

/** Whether the rule `SELECT * FROM 't' WHERE <condition>` fires for the payload on topic t. */
function fires(condition: string, payload: unknown): boolean {
  const query = parseTopicRuleSql(`SELECT * FROM 't' WHERE ${condition}`);
  return evaluateTopicRule(query, { topic: 't', payload: JSON.stringify(payload) }) !== undefined;
}

/**
 * A WHERE condition over the fields of `conditionPayload`: comparisons of present fields (of every JSON type)
 * and of an absent one with literals or fields, bare fields, NOT, AND, OR and parentheses.
 */
const operand = fc.oneof(
  fc.constantFrom(
    'n',
    'm',
    's',
    'digits',
    'flag',
    'text',
    'nil',
    'list',
    'obj',
    'absent',
    'obj.x',
    'obj.none',
  ),
  fc.constantFrom('0', '1', '-1', '2.5', "'a'", "'1'", "'true'", 'true', 'false', 'NULL'),
);
const condition: fc.Arbitrary<string> = fc.letrec<{ condition: string }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(operand, comparator, operand).map((parts) => parts.join(' ')),
    operand,
    tie('condition').map((inner) => `NOT (${inner})`),
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `(${a}) AND (${b})`),
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `(${a}) OR (${b})`),
  ),
})).condition;
const conditionPayload = fc.record({
  n: fc.integer({ min: -2, max: 2 }),
  m: fc.double({ noNaN: true, noDefaultInfinity: true }),
  s: fc.constantFrom('a', 'b', '1', ''),
  digits: fc.constantFrom('0', '1', '-1', '2.5', '1E1'),
  flag: fc.boolean(),
  text: fc.constantFrom('true', 'FALSE', 'maybe'),
  nil: fc.constant(null),
  list: fc.array(fc.integer({ min: 0, max: 1 }), { maxLength: 2 }),
  obj: fc.record({ x: fc.integer({ min: 0, max: 1 }) }),
});

describe('WHERE with Undefined (properties)', () => {
  it('never fires a comparison of an absent field, nor its negation', () => {
    fc.assert(
      fc.property(
        payloadWithoutAbsent,
        comparator,
        literal,
        fc.boolean(),
        (payload, operator, value, flip) => {
          // Prepare
          const comparison = flip ? `${value} ${operator} absent` : `absent ${operator} ${value}`;

          // Act
          const direct = fires(comparison, payload);
          const negated = fires(`NOT (${comparison})`, payload);

          // Assess
          expect([direct, negated]).toEqual([false, false]);
        },
      ),
    );
  });

  it('fires a OR b exactly when one side fires alone, and a AND b exactly when both do', () => {
    fc.assert(
      fc.property(conditionPayload, condition, condition, (payload, a, b) => {
        // Act
        const left = fires(a, payload);
        const right = fires(b, payload);
        const either = fires(`(${a}) OR (${b})`, payload);
        const both = fires(`(${a}) AND (${b})`, payload);

        // Assess
        expect(either).toBe(left || right);
        expect(both).toBe(left && right);
      }),
    );
  });

  it('never fires both a condition and its negation', () => {
    fc.assert(
      fc.property(conditionPayload, condition, (payload, a) => {
        // Act
        const direct = fires(a, payload);
        const negated = fires(`NOT (${a})`, payload);

        // Assess
        expect(direct && negated).toBe(false);
      }),
    );
  });
});

describe('SELECT * (properties)', () => {
  it('returns the fields of any JSON object payload unchanged when there is no WHERE', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean(), (payload, asBuffer) => {
        // Prepare
        const text = JSON.stringify(payload);
        const query = parseTopicRuleSql("SELECT * FROM 'site/+/scans'");

        // Act
        const output = evaluateTopicRule(query, {
          topic: 'site/w-1/scans',
          payload: asBuffer ? Buffer.from(text) : text,
        });

        // Assess
        expect(output).toEqual(JSON.parse(text));
        expect(Object.keys(output ?? {})).toEqual(Object.keys(JSON.parse(text)));
      }),
    );
  });
});
