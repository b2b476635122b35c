import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';

/** An item as plain JavaScript values (what lib-dynamodb sends, or an unmarshalled low-level item). */
export type Attributes = Record<string, unknown>;

/** The expression parts of a request: the expression and its `#name` and `:value` placeholders. */
export interface Expression {
  expression: string;
  names?: Record<string, string> | undefined;
  values?: Attributes | undefined;
}

/** The error DynamoDB answers a write whose condition does not hold with, as the SDK raises it. */
export function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

/**
 * A DynamoDB table in memory, keyed by one string attribute, that evaluates the condition and update expressions
 * it receives (comparisons, `attribute_exists`, `attribute_not_exists`, `contains`, AND/OR/NOT, parentheses;
 * `SET a = :v`, `REMOVE a` and `ADD n :number, s :set`). Sets (`SS`/`NS`) are stored as JavaScript `Set`s, as
 * lib-dynamodb hands them over. Anything else throws, so a request it cannot judge fails loudly instead of passing.
 */
export class FakeTable {
  readonly #items = new Map<string, Attributes>();

  constructor(
    readonly tableName: string,
    readonly keyAttribute: string,
  ) {}

  /** Stores `item` as is, without a request: the state a test starts from. */
  seed(item: Attributes): void {
    this.#items.set(this.#keyOf(item), clean(item));
  }

  /** A copy of the stored item, or `undefined`. */
  item(key: string): Attributes | undefined {
    const item = this.#items.get(key);
    return item === undefined ? undefined : structuredClone(item);
  }

  get size(): number {
    return this.#items.size;
  }

  clear(): void {
    this.#items.clear();
  }

  get(tableName: string | undefined, key: Attributes | undefined): Attributes | undefined {
    this.#checkTable(tableName);
    return this.item(this.#keyOf(key));
  }

  put(
    tableName: string | undefined,
    item: Attributes | undefined,
    condition: Expression | undefined,
    returnOldOnFailure: boolean,
  ): void {
    this.#checkTable(tableName);
    const key = this.#keyOf(item);
    this.#check(key, condition, returnOldOnFailure);
    this.#items.set(key, clean(item ?? {}));
  }

  update(
    tableName: string | undefined,
    keyItem: Attributes | undefined,
    update: Expression,
    condition: Expression | undefined,
  ): void {
    this.#checkTable(tableName);
    const key = this.#keyOf(keyItem);
    this.#check(key, condition, false);
    const next: Attributes = { ...(this.#items.get(key) ?? { [this.keyAttribute]: key }) };
    applyUpdate(next, update);
    this.#items.set(key, clean(next));
  }

  delete(
    tableName: string | undefined,
    keyItem: Attributes | undefined,
    condition: Expression | undefined,
  ): void {
    this.#checkTable(tableName);
    const key = this.#keyOf(keyItem);
    this.#check(key, condition, false);
    this.#items.delete(key);
  }

  #check(key: string, condition: Expression | undefined, returnOldOnFailure: boolean): void {
    if (condition === undefined) return;
    const existing = this.#items.get(key);
    if (evaluateCondition(condition, existing ?? {})) return;
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
      ...(returnOldOnFailure && existing !== undefined ? { Item: toAttributeMap(existing) } : {}),
    });
  }

  #checkTable(tableName: string | undefined): void {
    if (tableName === this.tableName) return;
    throw new ResourceNotFoundException({
      message: `Requested resource not found: Table: ${String(tableName)} not found`,
      $metadata: { httpStatusCode: 400 },
    });
  }

  #keyOf(item: Attributes | undefined): string {
    const key = item?.[this.keyAttribute];
    if (typeof key !== 'string' || key === '') {
      throw new Error(`${this.tableName}: the key attribute ${this.keyAttribute} must be a non-empty string`);
    }
    return key;
  }
}

/** What DynamoDB stores: no `undefined` anywhere (lib-dynamodb is configured with `removeUndefinedValues`). */
function clean(item: Attributes): Attributes {
  return JSON.parse(JSON.stringify(item, keepSets), restoreSets) as Attributes;
}

/** JSON has no sets: `clean` carries them through as a tagged list. */
const SET_TAG = '$fakeTableSet';

function keepSets(_key: string, value: unknown): unknown {
  return value instanceof Set ? { [SET_TAG]: [...value] } : value;
}

function restoreSets(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !(SET_TAG in value)) return value;
  const members: unknown = (value as Record<string, unknown>)[SET_TAG];
  return new Set(Array.isArray(members) ? members : []);
}

// ---------------------------------------------------------------------------------------------------------------
// Requests, as the fake table takes them

/** The placeholders of a request's expressions. */
interface Placeholders {
  ExpressionAttributeNames?: Record<string, string> | undefined;
  ExpressionAttributeValues?: Attributes | undefined;
}

/** The condition of a request (`values` for a low-level request, unmarshalled), or `undefined` if it has none. */
export function conditionOf(
  input: Placeholders & { ConditionExpression?: string | undefined },
  values: Attributes | undefined = input.ExpressionAttributeValues,
): Expression | undefined {
  if (input.ConditionExpression === undefined) return undefined;
  return { expression: input.ConditionExpression, names: input.ExpressionAttributeNames, values };
}

/** The update of an UpdateItem request (`values` for a low-level request, unmarshalled); the fake needs one. */
export function updateOf(
  input: Placeholders & { UpdateExpression?: string | undefined },
  values: Attributes | undefined = input.ExpressionAttributeValues,
): Expression {
  if (input.UpdateExpression === undefined) throw new Error('The fake table needs an UpdateExpression');
  return { expression: input.UpdateExpression, names: input.ExpressionAttributeNames, values };
}

// ---------------------------------------------------------------------------------------------------------------
// Attribute values (the low-level client's wire shape)

export function toAttributeValue(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
  if (value instanceof Set) {
    const members = [...value];
    return members.every((member) => typeof member === 'number')
      ? { NS: members.map(String) }
      : { SS: members.map(String) };
  }
  if (typeof value === 'object') return { M: toAttributeMap(value as Attributes) };
  throw new TypeError(`A ${typeof value} cannot be stored in DynamoDB`);
}

export function toAttributeMap(item: Attributes): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) map[name] = toAttributeValue(value);
  }
  return map;
}

export function fromAttributeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.M !== undefined) return fromAttributeMap(value.M);
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(Number));
  throw new TypeError(`Unsupported attribute value ${JSON.stringify(value)}`);
}

export function fromAttributeMap(map: Record<string, AttributeValue> | undefined): Attributes | undefined {
  if (map === undefined) return undefined;
  return Object.fromEntries(Object.entries(map).map(([name, value]) => [name, fromAttributeValue(value)]));
}

// ---------------------------------------------------------------------------------------------------------------
// Expressions

type Token =
  | { kind: 'name' | 'value' | 'path' | 'comparator' | 'keyword'; text: string }
  | { kind: '(' | ')' | ',' };

const TOKEN = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|(<>|<=|>=|=|<|>)|([(),])|([A-Za-z_][A-Za-z0-9_]*))/y;
const KEYWORDS = new Set(['AND', 'OR', 'NOT']);

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (expression.slice(TOKEN.lastIndex).trim() === '') break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(expression);
    if (match === null) throw new Error(`Cannot read the expression '${expression}' at ${at}`);
    const [, name, value, comparator, punctuation, word] = match;
    if (name !== undefined) tokens.push({ kind: 'name', text: name });
    else if (value !== undefined) tokens.push({ kind: 'value', text: value });
    else if (comparator !== undefined) tokens.push({ kind: 'comparator', text: comparator });
    else if (punctuation === '(' || punctuation === ')' || punctuation === ',')
      tokens.push({ kind: punctuation });
    else if (word !== undefined && KEYWORDS.has(word.toUpperCase()))
      tokens.push({ kind: 'keyword', text: word.toUpperCase() });
    else if (word !== undefined) tokens.push({ kind: 'path', text: word });
  }
  return tokens;
}

/** Reads operands and resolves placeholders against one item. */
class ExpressionReader {
  #position = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly expression: Expression,
  ) {}

  get done(): boolean {
    return this.#position >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.#position];
  }

  next(): Token {
    const token = this.tokens[this.#position];
    if (token === undefined) throw new Error(`Unexpected end of '${this.expression.expression}'`);
    this.#position += 1;
    return token;
  }

  expect(kind: Token['kind']): Token {
    const token = this.next();
    if (token.kind !== kind) throw new Error(`Expected ${kind} in '${this.expression.expression}'`);
    return token;
  }

  isKeyword(word: string): boolean {
    const token = this.peek();
    return token?.kind === 'keyword' && token.text === word;
  }

  /** The attribute name a `#name` or bare path token stands for. */
  attributeName(token: Token): string {
    if (token.kind === 'path') return token.text;
    if (token.kind === 'name') {
      const name = this.expression.names?.[token.text];
      if (name === undefined) throw new Error(`${token.text} is not in ExpressionAttributeNames`);
      return name;
    }
    throw new Error(`Expected an attribute in '${this.expression.expression}'`);
  }

  operand(token: Token, item: Attributes): unknown {
    if (token.kind === 'value') {
      const values = this.expression.values ?? {};
      if (!(token.text in values)) throw new Error(`${token.text} is not in ExpressionAttributeValues`);
      return values[token.text];
    }
    return item[this.attributeName(token)];
  }
}

export function evaluateCondition(expression: Expression, item: Attributes): boolean {
  const reader = new ExpressionReader(tokenize(expression.expression), expression);
  const result = orExpression(reader, item);
  if (!reader.done) throw new Error(`Unexpected text at the end of '${expression.expression}'`);
  return result;
}

function orExpression(reader: ExpressionReader, item: Attributes): boolean {
  let result = andExpression(reader, item);
  while (reader.isKeyword('OR')) {
    reader.next();
    const right = andExpression(reader, item);
    result = result || right;
  }
  return result;
}

function andExpression(reader: ExpressionReader, item: Attributes): boolean {
  let result = notExpression(reader, item);
  while (reader.isKeyword('AND')) {
    reader.next();
    const right = notExpression(reader, item);
    result = result && right;
  }
  return result;
}

function notExpression(reader: ExpressionReader, item: Attributes): boolean {
  if (reader.isKeyword('NOT')) {
    reader.next();
    return !notExpression(reader, item);
  }
  return primary(reader, item);
}

function primary(reader: ExpressionReader, item: Attributes): boolean {
  const token = reader.next();
  if (token.kind === '(') {
    const result = orExpression(reader, item);
    reader.expect(')');
    return result;
  }
  if (token.kind === 'path' && reader.peek()?.kind === '(') {
    reader.expect('(');
    const attribute = reader.attributeName(reader.next());
    if (token.text === 'contains') {
      reader.expect(',');
      const operand = reader.operand(reader.next(), item);
      reader.expect(')');
      return contains(item[attribute], operand);
    }
    reader.expect(')');
    if (token.text === 'attribute_exists') return item[attribute] !== undefined;
    if (token.text === 'attribute_not_exists') return item[attribute] === undefined;
    throw new Error(`The fake table does not support the function ${token.text}`);
  }
  const left = reader.operand(token, item);
  const comparator = reader.expect('comparator');
  const right = reader.operand(reader.next(), item);
  return compare(left, comparator.kind === 'comparator' ? comparator.text : '', right);
}

/** `contains(path, operand)`: a member of a set or list, or a substring of a string; false when the path is absent. */
function contains(container: unknown, operand: unknown): boolean {
  if (container instanceof Set) return container.has(operand);
  if (Array.isArray(container))
    return container.some((member) => JSON.stringify(member) === JSON.stringify(operand));
  if (typeof container === 'string') return typeof operand === 'string' && container.includes(operand);
  return false;
}

function compare(left: unknown, comparator: string, right: unknown): boolean {
  if (left === undefined || right === undefined) return comparator === '<>';
  const sameType = typeof left === typeof right;
  switch (comparator) {
    case '=':
      return JSON.stringify(left) === JSON.stringify(right);
    case '<>':
      return JSON.stringify(left) !== JSON.stringify(right);
    case '<':
      return sameType && (left as number | string) < (right as number | string);
    case '<=':
      return sameType && (left as number | string) <= (right as number | string);
    case '>':
      return sameType && (left as number | string) > (right as number | string);
    case '>=':
      return sameType && (left as number | string) >= (right as number | string);
    default:
      throw new Error(`Unknown comparator ${comparator}`);
  }
}

const UPDATE_CLAUSE = /\s*(SET|REMOVE|ADD)\s+((?:(?!\s(?:SET|REMOVE|ADD)\s).)+)/iy;

/** Applies `SET a = :v, #b = :w`, `REMOVE c, #d` and `ADD n :number, s :set` clauses to `item`. */
export function applyUpdate(item: Attributes, update: Expression): void {
  const clauses: Array<{ action: string; body: string }> = [];
  UPDATE_CLAUSE.lastIndex = 0;
  while (UPDATE_CLAUSE.lastIndex < update.expression.length) {
    const match = UPDATE_CLAUSE.exec(update.expression);
    const [, action, body] = match ?? [];
    if (action === undefined || body === undefined) {
      throw new Error(`The fake table cannot apply the update '${update.expression}'`);
    }
    clauses.push({ action: action.toUpperCase(), body });
  }
  for (const { action, body } of clauses) {
    const reader = new ExpressionReader(tokenize(body), update);
    do {
      if (reader.peek()?.kind === ',') reader.next();
      const attribute = reader.attributeName(reader.next());
      if (action === 'REMOVE') {
        delete item[attribute];
        continue;
      }
      if (action === 'ADD') {
        item[attribute] = added(item[attribute], reader.operand(reader.next(), item), attribute);
        continue;
      }
      const equals = reader.expect('comparator');
      if (equals.kind !== 'comparator' || equals.text !== '=') throw new Error(`Expected = in '${body}'`);
      item[attribute] = reader.operand(reader.next(), item);
    } while (!reader.done);
  }
}

/** `ADD`: a number adds to a number (absent counts as 0), a set joins a set (absent counts as empty). */
function added(current: unknown, operand: unknown, attribute: string): unknown {
  if (typeof operand === 'number' && (current === undefined || typeof current === 'number'))
    return (current ?? 0) + operand;
  if (operand instanceof Set && (current === undefined || current instanceof Set))
    return new Set([...(current ?? []), ...operand]);
  throw new Error(`ADD ${attribute}: an operand in the update expression has an incorrect data type`);
}
