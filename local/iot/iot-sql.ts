import { randomUUID } from 'node:crypto';
import {
  type IotSqlComparator,
  type IotSqlCondition,
  type IotSqlExpression,
  type TopicRuleQuery,
  topicFilterProblem,
} from './iot-sql-parser.js';

export {
  type IotSqlComparator,
  type IotSqlCondition,
  IotSqlError,
  type IotSqlExpression,
  type IotSqlFunctionName,
  type IotSqlSelectItem,
  parseTopicRuleSql,
  SUPPORTED_IOT_SQL_FUNCTIONS,
  type TopicRuleQuery,
  topicFilterProblem,
  UnsupportedIotSqlError,
} from './iot-sql-parser.js';

/** A message as the rules engine sees it: where it was published, its bytes, and the publisher's client id. */
export interface IotRuleMessage {
  readonly topic: string;
  readonly payload: Buffer | string;
  /** The MQTT client id of the publisher; absent for a publish through the data-plane HTTP API. */
  readonly clientId?: string;
}

/** What the SQL functions read from outside the message, injectable so that tests are deterministic. */
export interface IotRuleContext {
  /** timestamp(): ms since the epoch; `Date.now` by default. Read once per message. */
  readonly now?: () => number;
  /** newuuid(): a random UUID v4; `crypto.randomUUID` by default. Called once per newuuid() in the rule. */
  readonly uuid?: () => string;
}

/**
 * Whether an MQTT topic filter matches a topic, as the broker decides: `+` matches exactly one level (an empty
 * one too), `#` matches the parent level and any number of levels below it (`a/#` matches `a`, `a/b`, `a/b/c`),
 * and a topic starting with `$` is not matched by a filter starting with a wildcard. Throws on an invalid filter,
 * which is a programming error (parseTopicRuleSql validates the FROM filter).
 */
export function topicMatches(filter: string, topic: string): boolean {
  const problem = topicFilterProblem(filter);
  if (problem !== undefined) throw new Error(`Invalid topic filter '${filter}': ${problem}`);
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false;
  for (const [index, level] of filterLevels.entries()) {
    if (level === '#') return true;
    const topicLevel = topicLevels[index];
    if (topicLevel === undefined || (level !== '+' && level !== topicLevel)) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/**
 * Runs a parsed topic rule on one message, as IoT Core's rules engine does: `undefined` when the topic does not
 * match the FROM filter or the WHERE condition is not exactly true; otherwise the outgoing JSON object. `*` copies
 * the payload's top-level fields (when the payload is a JSON object) and each other item sets its name, in the
 * order of the select list (a later one wins); items whose value is Undefined are left out, as IoT does.
 *
 * The payload is parsed as UTF-8 JSON. A payload that is not a JSON object has no fields here: every path is
 * Undefined and `*` adds nothing (so `SELECT *, topic() AS t` gives `{ t }`). IoT Core differs for binary payloads:
 * `SELECT *` alone passes the raw bytes on, and functions such as encode(*, 'base64') read them; this engine
 * returns JSON objects only, so a rule on non-JSON messages should not be tested with it.
 */
export function evaluateTopicRule(
  query: TopicRuleQuery,
  message: IotRuleMessage,
  context: IotRuleContext = {},
): Record<string, unknown> | undefined {
  if (!topicMatches(query.from, message.topic)) return undefined;
  let now: number | undefined;
  const scope: Scope = {
    document: parsePayload(message.payload),
    message,
    now: () => {
      now ??= (context.now ?? Date.now)();
      return now;
    },
    uuid: context.uuid ?? randomUUID,
  };
  if (query.where !== undefined && truth(query.where, scope) !== true) return undefined;
  const output: Record<string, unknown> = {};
  for (const item of query.select) {
    if (item.kind === 'all') {
      if (isObject(scope.document))
        for (const [key, value] of Object.entries(scope.document)) put(output, key, value);
    } else {
      const value = evaluate(item.expression, scope);
      if (value !== undefined) put(output, item.name, value);
    }
  }
  return output;
}

interface Scope {
  readonly document: unknown;
  readonly message: IotRuleMessage;
  readonly now: () => number;
  readonly uuid: () => string;
}

/** IoT's three-valued logic: `undefined` is IoT's Undefined. */
type Truth = boolean | undefined;

function parsePayload(payload: Buffer | string): unknown {
  try {
    return JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own field, even one named `__proto__` (plain assignment would change the prototype instead). */
function put(output: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(output, key, { value, enumerable: true, writable: true, configurable: true });
}

function evaluate(expression: IotSqlExpression, scope: Scope): unknown {
  switch (expression.kind) {
    case 'literal':
      return expression.value;
    case 'path': {
      let value = scope.document;
      for (const segment of expression.segments) {
        if (!isObject(value) || !Object.hasOwn(value, segment)) return undefined;
        value = value[segment];
      }
      return value;
    }
    case 'call':
      switch (expression.name) {
        case 'topic':
          return expression.level === undefined
            ? scope.message.topic
            : scope.message.topic.split('/')[expression.level - 1];
        case 'timestamp':
          return scope.now();
        case 'clientid':
          return scope.message.clientId;
        case 'newuuid':
          return scope.uuid();
      }
  }
}

/**
 * A condition's truth. AND and OR follow Kleene's logic, which IoT's tables agree with where they say anything
 * (their "other value" rows cover two non-Boolean operands only): false AND Undefined is false, true OR Undefined
 * is true, and anything else with an Undefined side is Undefined. NOT Undefined is Undefined.
 */
function truth(condition: IotSqlCondition, scope: Scope): Truth {
  switch (condition.kind) {
    case 'value':
      return toBoolean(evaluate(condition.expression, scope));
    case 'not': {
      const operand = truth(condition.operand, scope);
      return operand === undefined ? undefined : !operand;
    }
    case 'and': {
      const left = truth(condition.left, scope);
      if (left === false) return false;
      const right = truth(condition.right, scope);
      if (right === false) return false;
      return left === true && right === true ? true : undefined;
    }
    case 'or': {
      const left = truth(condition.left, scope);
      if (left === true) return true;
      const right = truth(condition.right, scope);
      if (right === true) return true;
      return left === false && right === false ? false : undefined;
    }
    case 'compare':
      return compare(condition.operator, evaluate(condition.left, scope), evaluate(condition.right, scope));
  }
}

/** IoT's conversion to Boolean: a Boolean, or the string 'true'/'false' in any case; anything else Undefined. */
function toBoolean(value: unknown): Truth {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** The strings IoT converts to a Decimal for <, <=, > and >= (the regular expression of its data-types page). */
const DECIMAL_STRING = /^-?\d+(\.\d+)?([eE]-?\d+)?$/;

function toDecimal(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && DECIMAL_STRING.test(value)) return Number(value);
  return undefined;
}

/**
 * A comparison, per the AWS IoT SQL operator tables: an Undefined side gives Undefined. `=` and `<>` compare
 * numbers numerically, strings exactly, Booleans, nulls, arrays item by item in order and objects key by key;
 * operands of different types are not equal (`=` false, `<>` true: the tables' "mismatched type" rows), so
 * `5 = '5'` is false. `<`, `<=`, `>`, `>=` convert both sides to a Decimal (a number, or a string such as '-1.2'
 * or '5E-12'); when a side does not convert (another string, a Boolean, null, an array, an object) the result
 * is Undefined, so `'b' > 'a'` never fires.
 */
function compare(operator: IotSqlComparator, left: unknown, right: unknown): Truth {
  if (left === undefined || right === undefined) return undefined;
  if (operator === '=') return equal(left, right);
  if (operator === '<>') return !equal(left, right);
  const a = toDecimal(left);
  const b = toDecimal(right);
  if (a === undefined || b === undefined) return undefined;
  switch (operator) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

function equal(left: unknown, right: unknown): boolean {
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
    return left.every((item, index) => equal(item, right[index]));
  }
  if (isObject(left) && isObject(right)) {
    const keys = Object.keys(left);
    if (keys.length !== Object.keys(right).length) return false;
    return keys.every((key) => Object.hasOwn(right, key) && equal(left[key], right[key]));
  }
  return left === right;
}
