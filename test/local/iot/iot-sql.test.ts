import { describe, expect, it } from 'vitest';
import {
  evaluateTopicRule,
  IotSqlError,
  parseTopicRuleSql,
  topicFilterProblem,
  topicMatches,
  UnsupportedIotSqlError,
} from '../../../local/iot/iot-sql.js';

/** The topic rule orderflow deploys for warehouse scans. */
const ORDERFLOW_RULE =
  "SELECT *, topic(2) AS siteId, clientid() AS deviceId, timestamp() AS receivedAt FROM 'warehouse/+/scans' " +
  "WHERE kind = 'shipped' OR kind = 'delivered'";

/** The error `parseTopicRuleSql(sql)` throws (fails the test when it throws none). */
function parseError(sql: string): IotSqlError {
  try {
    parseTopicRuleSql(sql);
  } catch (error) {
    if (error instanceof IotSqlError) return error;
    throw error;
  }
  throw new Error(`parsed without an error: ${sql}`);
}

/** Whether the rule `SELECT * FROM 't' WHERE <condition>` fires for `payload` on topic t. */
function fires(condition: string, payload: unknown): boolean {
  const query = parseTopicRuleSql(`SELECT * FROM 't' WHERE ${condition}`);
  return evaluateTopicRule(query, { topic: 't', payload: JSON.stringify(payload) }) !== undefined;
}

describe('parseTopicRuleSql', () => {
  it('parses the orderflow rule into its select list, topic filter and condition', () => {
    // Act
    const query = parseTopicRuleSql(ORDERFLOW_RULE);

    // Assess
    expect(query).toEqual({
      sql: ORDERFLOW_RULE,
      select: [
        { kind: 'all' },
        { kind: 'expression', expression: { kind: 'call', name: 'topic', level: 2 }, name: 'siteId' },
        { kind: 'expression', expression: { kind: 'call', name: 'clientid' }, name: 'deviceId' },
        { kind: 'expression', expression: { kind: 'call', name: 'timestamp' }, name: 'receivedAt' },
      ],
      from: 'warehouse/+/scans',
      where: {
        kind: 'or',
        left: {
          kind: 'compare',
          operator: '=',
          left: { kind: 'path', segments: ['kind'] },
          right: { kind: 'literal', value: 'shipped' },
        },
        right: {
          kind: 'compare',
          operator: '=',
          left: { kind: 'path', segments: ['kind'] },
          right: { kind: 'literal', value: 'delivered' },
        },
      },
    });
  });

  it('reads keywords and function names in any case', () => {
    // Act
    const lower = parseTopicRuleSql("select *, TOPIC() as t from 'a/#' where Not x = 1 And y = 2 oR z = 3");
    const upper = parseTopicRuleSql("SELECT *, topic() AS t FROM 'a/#' WHERE NOT x = 1 AND y = 2 OR z = 3");

    // Assess
    expect({ ...lower, sql: '' }).toEqual({ ...upper, sql: '' });
  });

  it('names a path without AS by its last segment and keeps AS names as written', () => {
    // Act
    const query = parseTopicRuleSql("SELECT a.b.c, d, e.f AS Renamed FROM 'x'");

    // Assess
    expect(query.select.map((item) => (item.kind === 'expression' ? item.name : '*'))).toEqual([
      'c',
      'd',
      'Renamed',
    ]);
  });

  it('reads strings with doubled quotes, numbers, true, false and NULL as literals', () => {
    // Act
    const query = parseTopicRuleSql(
      "SELECT 'it''s' AS s, '' AS e, 42 AS i, -1.5 AS d, 5E-3 AS x, true AS t, FALSE AS f, null AS n FROM 'x'",
    );

    // Assess
    expect(query.select.map((item) => item.kind === 'expression' && item.expression)).toEqual(
      ["it's", '', 42, -1.5, 0.005, true, false, null].map((value) => ({ kind: 'literal', value })),
    );
  });

  it('gives NOT precedence over AND, AND over OR, and parentheses over all three', () => {
    // Prepare
    const a = { kind: 'value', expression: { kind: 'path', segments: ['a'] } };
    const b = { kind: 'value', expression: { kind: 'path', segments: ['b'] } };
    const c = { kind: 'value', expression: { kind: 'path', segments: ['c'] } };

    // Act
    const plain = parseTopicRuleSql("SELECT * FROM 'x' WHERE NOT a OR b AND c").where;
    const grouped = parseTopicRuleSql("SELECT * FROM 'x' WHERE NOT (a OR b) AND c").where;

    // Assess
    expect(plain).toEqual({
      kind: 'or',
      left: { kind: 'not', operand: a },
      right: { kind: 'and', left: b, right: c },
    });
    expect(grouped).toEqual({
      kind: 'and',
      left: { kind: 'not', operand: { kind: 'or', left: a, right: b } },
      right: c,
    });
  });

  it('negates a whole comparison with NOT and reads != as <>', () => {
    // Act
    const where = parseTopicRuleSql("SELECT * FROM 'x' WHERE NOT a != 1").where;

    // Assess
    expect(where).toEqual({
      kind: 'not',
      operand: {
        kind: 'compare',
        operator: '<>',
        left: { kind: 'path', segments: ['a'] },
        right: { kind: 'literal', value: 1 },
      },
    });
  });

  it('refuses another function with its name, position and the supported ones', () => {
    // Act
    const error = parseError("SELECT upper(kind) AS k FROM 'a'");

    // Assess
    expect(error).toBeInstanceOf(UnsupportedIotSqlError);
    expect(error.message).toBe(
      'unsupported in the local rules engine: function upper() at 8 (supported: topic, timestamp, clientid, newuuid)',
    );
    expect(error).toMatchObject({ construct: 'function upper()', position: 8 });
  });

  it.each([
    ['a function in WHERE', "SELECT * FROM 'a' WHERE lower(kind) = 'x'", 'function lower()', 25],
    ['a method-like call', "SELECT a.b() AS c FROM 'a'", 'function a.b()', 8],
    ['addition', "SELECT n + 1 AS m FROM 'a'", 'operator +', 10],
    ['subtraction in WHERE', "SELECT * FROM 'a' WHERE n - 1 > 0", 'operator -', 27],
    ['multiplication', "SELECT n * 2 AS m FROM 'a'", 'operator *', 10],
    ['division', "SELECT * FROM 'a' WHERE 1 = n / 2", 'operator /', 31],
    ['modulo', "SELECT n % 2 AS m FROM 'a'", 'operator %', 10],
    ['concatenation', "SELECT a || b AS c FROM 'a'", 'operator ||', 10],
    ['CASE', "SELECT CASE n WHEN 1 THEN 'one' END AS c FROM 'a'", 'CASE expression', 8],
    ['a nested SELECT in the select list', "SELECT (SELECT a FROM 'b') AS c FROM 'a'", 'nested SELECT', 9],
    ['a nested SELECT in WHERE', "SELECT * FROM 'a' WHERE (SELECT a FROM 'b')", 'nested SELECT', 26],
    ['a parenthesised expression', "SELECT (a) AS b FROM 'a'", 'parenthesised expression in SELECT', 8],
    ['FROM without quotes', 'SELECT * FROM a/b', 'unquoted topic filter a', 15],
    ['FROM without a topic filter', 'SELECT * FROM', 'FROM without a topic filter', 14],
    ['trailing words', "SELECT * FROM 'a' LIMIT 5", "'LIMIT'", 19],
    ['trailing words after WHERE', "SELECT * FROM 'a' WHERE a = 1 ORDER BY a", "'ORDER'", 31],
    ['a trailing semicolon', "SELECT * FROM 'a';", "';'", 18],
    ['a second FROM', "SELECT * FROM 'a' FROM 'b'", 'FROM', 19],
    ['IN', "SELECT * FROM 'a' WHERE n IN (1, 2)", 'operator IN', 27],
    ['LIKE', "SELECT * FROM 'a' WHERE s LIKE 'x%'", 'operator LIKE', 27],
    ['IS NULL', "SELECT * FROM 'a' WHERE s IS NULL", 'operator IS', 27],
    ['BETWEEN', "SELECT * FROM 'a' WHERE n BETWEEN 1 AND 2", 'operator BETWEEN', 27],
    ['SELECT VALUE', "SELECT VALUE state FROM 'a'", 'SELECT VALUE', 8],
    ['an array index', "SELECT a[0] AS b FROM 'a'", 'array index a[…]', 9],
    ['a nested alias', "SELECT n AS a.b FROM 'a'", 'nested alias a.…', 13],
    ['an alias for *', "SELECT * AS all FROM 'a'", 'an alias for *', 10],
    ['==', "SELECT * FROM 'a' WHERE a == 1", 'operator ==', 27],
    ['a comparison in SELECT', "SELECT a = 1 AS b FROM 'a'", 'comparison = in SELECT', 10],
    ['a chained comparison', "SELECT * FROM 'a' WHERE 1 < n < 5", 'chained comparison <', 31],
    [
      'a compared parenthesised operand',
      "SELECT * FROM 'a' WHERE (n) = 1",
      'comparison = of a parenthesised operand',
      29,
    ],
    ['a double-quoted name', 'SELECT "my-field" AS f FROM \'a\'', '"-quoted name', 8],
    ['a backquoted name', "SELECT `f` AS f FROM 'a'", '`-quoted name', 8],
    ['a stray character', "SELECT * FROM 'a' WHERE a ! 1", 'character !', 27],
    ['a keyword as an operand', "SELECT * FROM 'a' WHERE AND", 'AND', 25],
    ['a missing closing parenthesis', "SELECT * FROM 'a' WHERE (a = 1", 'the end of the statement', 31],
  ])('refuses %s, naming it and its position', (_, sql, construct, position) => {
    // Act
    const error = parseError(sql);

    // Assess
    expect(error).toBeInstanceOf(UnsupportedIotSqlError);
    expect(error).toMatchObject({ construct, position });
    expect(error.message).toContain(`unsupported in the local rules engine: ${construct} at ${position}`);
  });

  it.each([
    ['a function without AS', "SELECT topic(2) FROM 'a/b'", 'topic() at 8 has no output name: add AS <name>'],
    ['a literal without AS', "SELECT 'x' FROM 'a'", "the literal 'x' at 8 has no output name: add AS <name>"],
    [
      'topic(0)',
      "SELECT topic(0) AS t FROM 'a'",
      'invalid argument to topic() at 14: write topic() or topic(n)',
    ],
    ['topic(1.5)', "SELECT topic(1.5) AS t FROM 'a'", 'invalid argument to topic() at 14'],
    ["topic('x')", "SELECT topic('x') AS t FROM 'a'", 'invalid argument to topic() at 14'],
    [
      'timestamp(1)',
      "SELECT timestamp(1) AS t FROM 'a'",
      'invalid argument to timestamp() at 18: write timestamp()',
    ],
    ['an empty topic filter', "SELECT * FROM ''", "invalid topic filter '' at 15: the topic filter is empty"],
    ['# before the last level', "SELECT * FROM 'a/#/b'", '# must be a whole level and the last one'],
    ['# within a level', "SELECT * FROM 'a/b#'", '# must be a whole level and the last one'],
    ['+ within a level', "SELECT * FROM 'a/+b/c'", '+ must be a whole level'],
    ['an unterminated string', "SELECT * FROM 'a", "unterminated string starting at 15: close it with '"],
    ['a missing FROM', 'SELECT *', "FROM '<topic filter>' is missing at 9"],
    ['an empty select list', "SELECT FROM 'a'", 'an expression is missing from the select list at 8'],
    ['a dangling comma', "SELECT a, FROM 'a'", 'an expression is missing from the select list at 11'],
    ['* twice', "SELECT *, * FROM 'a'", '* appears twice in the select list at 11: keep one'],
    [
      'a statement not starting with SELECT',
      "DELETE FROM 'a'",
      "a topic rule starts with SELECT, found 'DELETE' at 1",
    ],
    [
      'WHERE without a condition',
      "SELECT * FROM 'a' WHERE",
      'WHERE has no condition at 24: add one or drop WHERE',
    ],
    ['AS without a name', "SELECT a AS FROM 'x'", 'AS must be followed by a name at 13, found FROM'],
  ])('refuses %s as invalid IoT SQL, saying what to write', (_, sql, message) => {
    // Act
    const error = parseError(sql);

    // Assess
    expect(error).not.toBeInstanceOf(UnsupportedIotSqlError);
    expect(error.message).toContain(message);
  });
});

describe('topicFilterProblem', () => {
  it.each([
    ['warehouse/+/scans', undefined],
    ['#', undefined],
    ['+', undefined],
    ['a//b', undefined],
    ['', 'the topic filter is empty'],
    ['#/a', '# must be a whole level and the last one (a/#)'],
    ['a/b+', '+ must be a whole level (a/+/c)'],
  ])('says of %j: %s', (filter, problem) => {
    expect(topicFilterProblem(filter)).toBe(problem);
  });
});

describe('topicMatches', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a//c', true],
    ['a/+/c', 'a/b/c/d', false],
    ['a/+', 'a', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/b/#', 'a', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a/B', false],
    ['a/b', 'a/b/c', false],
    ['#', 'a/b', true],
    ['#', '$aws/things/t/shadow/update', false],
    ['+/shadow', '$aws/shadow', false],
    ['$aws/#', '$aws/things', true],
    ['$aws/+/t', '$aws/things/t', true],
  ])('matches filter %j against topic %j: %s', (filter, topic, matches) => {
    expect(topicMatches(filter, topic)).toBe(matches);
  });

  it('throws on an invalid filter, naming the problem', () => {
    expect(() => topicMatches('a/#/b', 'a/x/b')).toThrow(
      "Invalid topic filter 'a/#/b': # must be a whole level and the last one",
    );
  });
});

describe('evaluateTopicRule', () => {
  const rule = parseTopicRuleSql(ORDERFLOW_RULE);
  const clock = { now: () => 1_767_225_600_000 };

  it('adds the site, device and arrival time to a shipped scan', () => {
    // Prepare
    const payload = JSON.stringify({ kind: 'shipped', orderId: 'o-1', parcel: { weightKg: 2.5 } });

    // Act
    const output = evaluateTopicRule(
      rule,
      { topic: 'warehouse/w-7/scans', payload: Buffer.from(payload), clientId: 'scanner-3' },
      clock,
    );

    // Assess
    expect(output).toEqual({
      kind: 'shipped',
      orderId: 'o-1',
      parcel: { weightKg: 2.5 },
      siteId: 'w-7',
      deviceId: 'scanner-3',
      receivedAt: 1_767_225_600_000,
    });
  });

  it('fires for a delivered scan too and leaves out the device of a publish without a client id', () => {
    // Act
    const output = evaluateTopicRule(
      rule,
      { topic: 'warehouse/w-7/scans', payload: '{"kind":"delivered"}' },
      clock,
    );

    // Assess
    expect(output).toEqual({ kind: 'delivered', siteId: 'w-7', receivedAt: 1_767_225_600_000 });
  });

  it.each([
    ['another kind', 'warehouse/w-7/scans', '{"kind":"picked"}'],
    ['no kind', 'warehouse/w-7/scans', '{"orderId":"o-1"}'],
    ['a kind of another type', 'warehouse/w-7/scans', '{"kind":["shipped"]}'],
    ['a payload that is not JSON', 'warehouse/w-7/scans', 'kind=shipped'],
    ['another topic', 'warehouse/w-7/pallets', '{"kind":"shipped"}'],
    ['a deeper topic', 'warehouse/w-7/dock/scans', '{"kind":"shipped"}'],
  ])('does not fire for %s', (_, topic, payload) => {
    expect(evaluateTopicRule(rule, { topic, payload }, clock)).toBeUndefined();
  });

  it('reads the clock once per message and calls the uuid source once per newuuid()', () => {
    // Prepare
    const query = parseTopicRuleSql(
      "SELECT timestamp() AS a, timestamp() AS b, newuuid() AS c, newuuid() AS d FROM 'x'",
    );
    let ticks = 0;
    let uuids = 0;

    // Act
    const output = evaluateTopicRule(
      query,
      { topic: 'x', payload: '{}' },
      { now: () => ++ticks, uuid: () => `uuid-${++uuids}` },
    );

    // Assess
    expect(output).toEqual({ a: 1, b: 1, c: 'uuid-1', d: 'uuid-2' });
  });

  it('uses the system clock and random v4 UUIDs by default', () => {
    // Prepare
    const query = parseTopicRuleSql("SELECT timestamp() AS at, newuuid() AS id FROM 'x'");
    const before = Date.now();

    // Act
    const output = evaluateTopicRule(query, { topic: 'x', payload: '{}' });

    // Assess
    expect(output?.at).toBeGreaterThanOrEqual(before);
    expect(output?.at).toBeLessThanOrEqual(Date.now());
    expect(output?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gives topic() the whole topic, topic(n) its n-th level, and leaves out a level beyond the last', () => {
    // Prepare
    const query = parseTopicRuleSql(
      "SELECT topic() AS all, topic(1) AS first, topic(3) AS third, topic(4) AS none FROM 'a/#'",
    );

    // Act
    const output = evaluateTopicRule(query, { topic: 'a/b/c', payload: '{}' });

    // Assess
    expect(output).toEqual({ all: 'a/b/c', first: 'a', third: 'c' });
  });

  it('lets a later item of the select list win over an earlier one of the same name', () => {
    // Prepare
    const overriding = parseTopicRuleSql("SELECT *, 'mine' AS kind FROM 'x'");
    const overridden = parseTopicRuleSql("SELECT 'mine' AS kind, * FROM 'x'");
    const message = { topic: 'x', payload: '{"kind":"theirs","n":1}' };

    // Act
    const first = evaluateTopicRule(overriding, message);
    const second = evaluateTopicRule(overridden, message);

    // Assess
    expect(first).toEqual({ kind: 'mine', n: 1 });
    expect(second).toEqual({ kind: 'theirs', n: 1 });
  });

  it('follows dotted paths into objects and leaves out paths to nothing, through arrays or to inherited names', () => {
    // Prepare
    const query = parseTopicRuleSql(
      "SELECT a.b.c, a.b AS ab, a.missing AS m, list.length AS len, toString, a.constructor AS k, n AS nil FROM 'x'",
    );
    const payload = JSON.stringify({ a: { b: { c: 3 } }, list: [1, 2], n: null });

    // Act
    const output = evaluateTopicRule(query, { topic: 'x', payload });

    // Assess
    expect(output).toEqual({ c: 3, ab: { c: 3 }, nil: null });
  });

  it('keeps a payload field named __proto__ as a field', () => {
    // Act
    const output = evaluateTopicRule(parseTopicRuleSql("SELECT * FROM 'x'"), {
      topic: 'x',
      payload: '{"__proto__":{"polluted":true},"a":1}',
    });

    // Assess
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(Object.keys(output ?? {})).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('treats a payload that is not a JSON object as having no fields', () => {
    // Prepare
    const query = parseTopicRuleSql("SELECT *, topic() AS t, x AS y FROM 'x'");

    // Act
    const binary = evaluateTopicRule(query, { topic: 'x', payload: Buffer.from([0xff, 0x00, 0x7b]) });
    const array = evaluateTopicRule(query, { topic: 'x', payload: '[1,2]' });
    const number = evaluateTopicRule(query, { topic: 'x', payload: '80' });

    // Assess
    expect([binary, array, number]).toEqual([{ t: 'x' }, { t: 'x' }, { t: 'x' }]);
  });

  it.each([
    ['missing = 1', false],
    ['missing <> 1', false],
    ['NOT (missing = 1)', false],
    ['missing = missing', false],
    ['missing OR yes', true],
    ['missing OR no', false],
    ['missing AND no', false],
    ['missing AND yes', false],
    ['NOT (missing AND no)', true],
    ['NOT (missing AND yes)', false],
    ['NOT (missing OR yes)', false],
    ['NOT (missing OR no)', false],
    ['NOT missing', false],
  ])('gives %s the truth of IoT’s Undefined: fires = %s', (condition, expected) => {
    expect(fires(condition, { yes: true, no: false })).toBe(expected);
  });

  it.each([
    ['n = 5', true],
    ['n = 5.0', true],
    ['n <> 5', false],
    ['n != 4', true],
    ['n > 4 AND n >= 5 AND n < 6 AND n <= 5', true],
    ['n > 5 OR n < 5', false],
    ['n = -2', false],
    ['neg = -2', true],
    ["s = 'five'", true],
    ["s = 'Five'", false],
    ['n = s', false],
    ['digits = 5', false],
    ['NOT (digits = 5)', true],
    ['digits <> 5', true],
    ['digits > 4', true],
    ["digits < '6'", true],
    ["exp > '1E-3'", true],
    ["s > 'a'", false],
    ["NOT (s > 'a')", false],
    ['flag = true', true],
    ['flag > false', false],
    ['NOT (flag > false)', false],
    ['nil = NULL', true],
    ['nil <> NULL', false],
    ['nil = 0', false],
    ['list = sameList', true],
    ['list = reversed', false],
    ['obj = sameObj', true],
    ['obj = list', false],
    ['flag', true],
    ['NOT flag', false],
    ['text', true],
    ['NOT text', false],
    ['n', false],
    ['NOT n', false],
    ['true', true],
    ["'FALSE' OR 'True'", true],
  ])('compares as the IoT operator tables say: %s fires = %s', (condition, expected) => {
    // Prepare
    const payload = {
      n: 5,
      neg: -2,
      s: 'five',
      digits: '5',
      exp: '5E-3',
      flag: true,
      nil: null,
      text: 'TRUE',
      list: [1, 'a', { b: 2 }],
      sameList: [1, 'a', { b: 2 }],
      reversed: [{ b: 2 }, 'a', 1],
      obj: { x: 1, y: [2] },
      sameObj: { y: [2], x: 1 },
    };

    // Act
    const fired = fires(condition, payload);

    // Assess
    expect(fired).toBe(expected);
  });

  it('does not match a topic starting with $ with a filter starting with a wildcard', () => {
    // Prepare
    const query = parseTopicRuleSql("SELECT * FROM '#'");

    // Act
    const output = evaluateTopicRule(query, { topic: '$aws/things/t/shadow/update', payload: '{}' });

    // Assess
    expect(output).toBeUndefined();
  });
});
