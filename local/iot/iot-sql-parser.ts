/**
 * The parser of the AWS IoT rules engine's SQL (version 2016-03-23), reduced to what topic rules in this app
 * need: `SELECT <list> FROM '<topic filter>' [WHERE <condition>]`. Whatever it cannot evaluate it refuses with
 * an {@link UnsupportedIotSqlError} that names the construct and where it is, so a rule never runs locally with
 * a meaning different from the one it has in IoT Core. Positions are 1-based character columns.
 */

/** The functions the local rules engine evaluates (everything else is refused). */
export const SUPPORTED_IOT_SQL_FUNCTIONS = ['topic', 'timestamp', 'clientid', 'newuuid'] as const;

/** The name of a function the local rules engine evaluates. */
export type IotSqlFunctionName = (typeof SUPPORTED_IOT_SQL_FUNCTIONS)[number];

/**
 * An expression of the select list or of a comparison: a dotted path into the JSON payload, a literal, or a call
 * of a supported function (`level` is topic(n)'s 1-based level; absent for topic(), the whole topic).
 */
export type IotSqlExpression =
  | { readonly kind: 'path'; readonly segments: readonly string[] }
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null }
  | { readonly kind: 'call'; readonly name: IotSqlFunctionName; readonly level?: number };

/** A comparison operator; `!=` is parsed as `<>`, its synonym. */
export type IotSqlComparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

/**
 * A WHERE condition. `value` is a bare operand used as a condition (`WHERE active`): IoT converts it to a
 * Boolean (a Boolean, or the string 'true'/'false' in any case), anything else being Undefined.
 */
export type IotSqlCondition =
  | {
      readonly kind: 'compare';
      readonly operator: IotSqlComparator;
      readonly left: IotSqlExpression;
      readonly right: IotSqlExpression;
    }
  | { readonly kind: 'and' | 'or'; readonly left: IotSqlCondition; readonly right: IotSqlCondition }
  | { readonly kind: 'not'; readonly operand: IotSqlCondition }
  | { readonly kind: 'value'; readonly expression: IotSqlExpression };

/** One entry of the select list: `*` (the payload's top-level fields) or an expression with its output name. */
export type IotSqlSelectItem =
  | { readonly kind: 'all' }
  | { readonly kind: 'expression'; readonly expression: IotSqlExpression; readonly name: string };

/** A parsed topic rule statement, ready for `evaluateTopicRule`. */
export interface TopicRuleQuery {
  /** The statement as written. */
  readonly sql: string;
  /** The select list in order; a later entry's field wins over an earlier one of the same name. */
  readonly select: readonly IotSqlSelectItem[];
  /** The FROM topic filter, validated. */
  readonly from: string;
  /** The WHERE condition, or undefined when there is none (every matching message fires the rule). */
  readonly where: IotSqlCondition | undefined;
}

/**
 * A statement the local rules engine refuses: invalid IoT SQL (an unterminated string, an invalid topic filter,
 * a function call without `AS`). `position` is the 1-based column of the problem.
 */
export class IotSqlError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'IotSqlError';
  }
}

/**
 * A construct the local rules engine does not evaluate (other functions, arithmetic, CASE, nested SELECT, …) or
 * does not expect at that place: refused rather than run with another meaning. The message names the construct
 * and its position and says what is supported.
 */
export class UnsupportedIotSqlError extends IotSqlError {
  constructor(
    readonly construct: string,
    position: number,
    hint?: string,
  ) {
    super(
      `unsupported in the local rules engine: ${construct} at ${position}${hint === undefined ? '' : ` (${hint})`}`,
      position,
    );
    this.name = 'UnsupportedIotSqlError';
  }
}

/**
 * Why `filter` is not a valid MQTT topic filter, or `undefined` when it is: not empty, `#` only as the whole
 * last level, `+` only as a whole level.
 */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter === '') return 'the topic filter is empty';
  const levels = filter.split('/');
  for (const [index, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1))
      return '# must be a whole level and the last one (a/#)';
    if (level.includes('+') && level !== '+') return '+ must be a whole level (a/+/c)';
  }
  return undefined;
}

interface Token {
  readonly kind: 'word' | 'string' | 'number' | 'symbol' | 'end';
  readonly text: string;
  readonly at: number;
  /** The unescaped text of a string, or the value of a number. */
  readonly value?: string | number;
}

const SYMBOLS = [
  '<>',
  '<=',
  '>=',
  '!=',
  '==',
  '||',
  ',',
  '.',
  '(',
  ')',
  '*',
  '=',
  '<',
  '>',
  '+',
  '-',
  '/',
  '%',
];
const SYMBOL_CHARS = '[]{}:;';
const COMPARATORS: ReadonlySet<string> = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);
const ARITHMETIC: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '||']);
/** Words that are IoT SQL syntax, so never a field name at the start of a path. */
const RESERVED: ReadonlySet<string> = new Set(
  'SELECT FROM WHERE AS AND OR NOT TRUE FALSE NULL CASE WHEN THEN ELSE END IN IS LIKE BETWEEN'.split(' '),
);
/** Operators IoT SQL has between operands that the local engine does not evaluate. */
const UNSUPPORTED_OPERATOR_WORDS: ReadonlySet<string> = new Set(['IN', 'IS', 'LIKE', 'BETWEEN']);

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const char = sql.charAt(i);
    const at = i + 1;
    if (/\s/.test(char)) {
      i += 1;
    } else if (/[A-Za-z_]/.test(char)) {
      const text = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))?.[0] ?? char;
      tokens.push({ kind: 'word', text, at });
      i += text.length;
    } else if (/[0-9]/.test(char)) {
      const text = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(sql.slice(i))?.[0] ?? char;
      tokens.push({ kind: 'number', text, at, value: Number(text) });
      i += text.length;
    } else if (char === "'") {
      let value = '';
      let end = i + 1;
      for (;;) {
        if (end >= sql.length)
          throw new IotSqlError(`unterminated string starting at ${at}: close it with '`, at);
        if (sql.charAt(end) === "'") {
          if (sql.charAt(end + 1) !== "'") break;
          value += "'";
          end += 2;
        } else {
          value += sql.charAt(end);
          end += 1;
        }
      }
      tokens.push({ kind: 'string', text: sql.slice(i, end + 1), at, value });
      i = end + 1;
    } else if (char === '"' || char === '`') {
      throw new UnsupportedIotSqlError(
        `${char}-quoted name`,
        at,
        'use a bare name for a field and single quotes for a string',
      );
    } else {
      const symbol = SYMBOLS.find((candidate) => sql.startsWith(candidate, i));
      if (symbol === undefined && !SYMBOL_CHARS.includes(char))
        throw new UnsupportedIotSqlError(`character ${char}`, at);
      tokens.push({ kind: 'symbol', text: symbol ?? char, at });
      i += (symbol ?? char).length;
    }
  }
  tokens.push({ kind: 'end', text: 'end of statement', at: sql.length + 1 });
  return tokens;
}

/**
 * Parses a topic rule statement, `SELECT <list> FROM '<topic filter>' [WHERE <condition>]` (keywords in any
 * case). The select list is `*` and/or expressions with optional `AS name`; an expression is a dotted path, a
 * single-quoted string (`''` escapes a quote), a number, true/false/NULL, or topic()/topic(n)/timestamp()/
 * clientid()/newuuid(). A path without AS is named by its last segment; a function or literal needs AS. WHERE
 * has comparisons (`=`, `<>`/`!=`, `<`, `<=`, `>`, `>=`), NOT, AND, OR (that precedence) and parentheses.
 * Throws an {@link UnsupportedIotSqlError} for anything else and an {@link IotSqlError} for invalid SQL.
 */
export function parseTopicRuleSql(sql: string): TopicRuleQuery {
  return new Parser(sql).statement();
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly sql: string) {
    this.tokens = tokenize(sql);
  }

  statement(): TopicRuleQuery {
    const first = this.peek();
    if (!this.takeWord('SELECT'))
      throw new IotSqlError(
        `a topic rule starts with SELECT, found ${describe(first)} at ${first.at}`,
        first.at,
      );
    const select = this.selectList();
    const from = this.fromClause();
    const where = this.takeWord('WHERE') ? this.whereCondition() : undefined;
    const rest = this.peek();
    if (rest.kind !== 'end')
      throw this.unexpected(rest, 'the statement must end after the topic filter or the WHERE condition');
    return { sql: this.sql, select, from, where };
  }

  private selectList(): IotSqlSelectItem[] {
    const items: IotSqlSelectItem[] = [];
    do {
      const start = this.peek();
      if (start.kind === 'symbol' && start.text === '*') {
        this.index += 1;
        if (items.some((item) => item.kind === 'all'))
          throw new IotSqlError(`* appears twice in the select list at ${start.at}: keep one`, start.at);
        if (this.isWord('AS')) throw new UnsupportedIotSqlError('an alias for *', this.peek().at);
        items.push({ kind: 'all' });
        continue;
      }
      if (this.isWord('FROM') || start.kind === 'end')
        throw new IotSqlError(`an expression is missing from the select list at ${start.at}`, start.at);
      if (items.length === 0 && this.isSelectValue())
        throw new UnsupportedIotSqlError('SELECT VALUE', start.at, 'select fields with names instead');
      const expression = this.operand('SELECT');
      items.push({ kind: 'expression', expression, name: this.outputName(expression, start) });
    } while (this.takeSymbol(','));
    return items;
  }

  private outputName(expression: IotSqlExpression, start: Token): string {
    if (this.takeWord('AS')) {
      const name = this.peek();
      if (name.kind !== 'word' || RESERVED.has(name.text.toUpperCase()))
        throw new IotSqlError(
          `AS must be followed by a name at ${name.at}, found ${describe(name)}`,
          name.at,
        );
      this.index += 1;
      const dot = this.peek();
      if (dot.kind === 'symbol' && dot.text === '.')
        throw new UnsupportedIotSqlError(`nested alias ${name.text}.…`, name.at, 'use a flat name');
      return name.text;
    }
    if (expression.kind === 'path') return expression.segments[expression.segments.length - 1] ?? '';
    const what = expression.kind === 'call' ? `${expression.name}()` : `the literal ${start.text}`;
    throw new IotSqlError(`${what} at ${start.at} has no output name: add AS <name>`, start.at);
  }

  private fromClause(): string {
    const keyword = this.peek();
    if (!this.takeWord('FROM')) {
      if (keyword.kind === 'end')
        throw new IotSqlError(`FROM '<topic filter>' is missing at ${keyword.at}`, keyword.at);
      throw this.unexpected(keyword, "expected , or FROM '<topic filter>'");
    }
    const filter = this.peek();
    if (filter.kind !== 'string')
      throw new UnsupportedIotSqlError(
        filter.kind === 'end' ? 'FROM without a topic filter' : `unquoted topic filter ${filter.text}`,
        filter.at,
        "quote it: FROM 'a/+/c'",
      );
    this.index += 1;
    const topicFilter = String(filter.value);
    const problem = topicFilterProblem(topicFilter);
    if (problem !== undefined)
      throw new IotSqlError(`invalid topic filter '${topicFilter}' at ${filter.at}: ${problem}`, filter.at);
    return topicFilter;
  }

  private whereCondition(): IotSqlCondition {
    const start = this.peek();
    if (start.kind === 'end')
      throw new IotSqlError(`WHERE has no condition at ${start.at}: add one or drop WHERE`, start.at);
    return this.condition();
  }

  private condition(): IotSqlCondition {
    let left = this.conjunction();
    while (this.takeWord('OR')) left = { kind: 'or', left, right: this.conjunction() };
    return left;
  }

  private conjunction(): IotSqlCondition {
    let left = this.negation();
    while (this.takeWord('AND')) left = { kind: 'and', left, right: this.negation() };
    return left;
  }

  private negation(): IotSqlCondition {
    if (this.takeWord('NOT')) return { kind: 'not', operand: this.negation() };
    const open = this.peek();
    if (open.kind === 'symbol' && open.text === '(') {
      this.index += 1;
      if (this.isWord('SELECT')) throw new UnsupportedIotSqlError('nested SELECT', this.peek().at);
      const inner = this.condition();
      const close = this.peek();
      if (!this.takeSymbol(')')) throw this.unexpected(close, `expected ) closing the ( at ${open.at}`);
      const after = this.peek();
      if (after.kind === 'symbol' && COMPARATORS.has(after.text))
        throw new UnsupportedIotSqlError(`comparison ${after.text} of a parenthesised operand`, after.at);
      return inner;
    }
    const left = this.operand('WHERE');
    const operator = this.peek();
    if (operator.kind !== 'symbol' || !COMPARATORS.has(operator.text))
      return { kind: 'value', expression: left };
    this.index += 1;
    const right = this.operand('WHERE');
    const chained = this.peek();
    if (chained.kind === 'symbol' && COMPARATORS.has(chained.text))
      throw new UnsupportedIotSqlError(`chained comparison ${chained.text}`, chained.at, 'combine with AND');
    const comparator = operator.text === '!=' ? '<>' : (operator.text as IotSqlComparator);
    return { kind: 'compare', operator: comparator, left, right };
  }

  /** An expression, then a check that no operator the engine cannot evaluate follows it. */
  private operand(clause: 'SELECT' | 'WHERE'): IotSqlExpression {
    const expression = this.primary(clause);
    const next = this.peek();
    if (next.kind === 'symbol' && next.text === '==')
      throw new UnsupportedIotSqlError('operator ==', next.at, 'IoT SQL compares with =');
    if (next.kind === 'symbol' && ARITHMETIC.has(next.text))
      throw new UnsupportedIotSqlError(
        `operator ${next.text}`,
        next.at,
        'arithmetic is not evaluated locally',
      );
    if (next.kind === 'word' && UNSUPPORTED_OPERATOR_WORDS.has(next.text.toUpperCase()))
      throw new UnsupportedIotSqlError(`operator ${next.text.toUpperCase()}`, next.at);
    if (clause === 'SELECT' && next.kind === 'symbol' && COMPARATORS.has(next.text))
      throw new UnsupportedIotSqlError(`comparison ${next.text} in SELECT`, next.at, 'compare in WHERE');
    return expression;
  }

  private primary(clause: 'SELECT' | 'WHERE'): IotSqlExpression {
    const token = this.peek();
    const next = this.tokens[this.index + 1];
    if (token.kind === 'string' || token.kind === 'number') {
      this.index += 1;
      return { kind: 'literal', value: token.value ?? '' };
    }
    if (token.kind === 'symbol' && token.text === '-' && next?.kind === 'number') {
      this.index += 2;
      return { kind: 'literal', value: -Number(next.value) };
    }
    if (token.kind === 'symbol' && token.text === '(') {
      if (next?.kind === 'word' && next.text.toUpperCase() === 'SELECT')
        throw new UnsupportedIotSqlError('nested SELECT', next.at);
      throw new UnsupportedIotSqlError(`parenthesised expression in ${clause}`, token.at);
    }
    if (token.kind !== 'word') throw this.unexpected(token, 'expected a field, a literal or a function');
    const upper = token.text.toUpperCase();
    if (upper === 'TRUE' || upper === 'FALSE' || upper === 'NULL') {
      this.index += 1;
      return { kind: 'literal', value: upper === 'NULL' ? null : upper === 'TRUE' };
    }
    if (upper === 'SELECT') throw new UnsupportedIotSqlError('nested SELECT', token.at);
    if (upper === 'CASE') throw new UnsupportedIotSqlError('CASE expression', token.at);
    if (next?.kind === 'symbol' && next.text === '(') return this.call(token);
    if (RESERVED.has(upper)) throw this.unexpected(token, 'expected a field, a literal or a function');
    return this.path(token);
  }

  private call(name: Token): IotSqlExpression {
    const lower = name.text.toLowerCase();
    const supported = SUPPORTED_IOT_SQL_FUNCTIONS.find((candidate) => candidate === lower);
    if (supported === undefined)
      throw new UnsupportedIotSqlError(
        `function ${name.text}()`,
        name.at,
        `supported: ${SUPPORTED_IOT_SQL_FUNCTIONS.join(', ')}`,
      );
    this.index += 2;
    if (this.takeSymbol(')')) return { kind: 'call', name: supported };
    const level = this.peek();
    const valid = level.kind === 'number' && Number.isInteger(level.value) && Number(level.value) >= 1;
    if (supported !== 'topic' || !valid) {
      const usage = supported === 'topic' ? 'topic() or topic(n) with a whole number n ≥ 1' : `${lower}()`;
      throw new IotSqlError(`invalid argument to ${lower}() at ${level.at}: write ${usage}`, level.at);
    }
    this.index += 1;
    const close = this.peek();
    if (!this.takeSymbol(')')) throw this.unexpected(close, `expected ) closing ${lower}(`);
    return { kind: 'call', name: supported, level: Number(level.value) };
  }

  private path(first: Token): IotSqlExpression {
    const segments = [first.text];
    this.index += 1;
    while (this.takeSymbol('.')) {
      const segment = this.peek();
      if (segment.kind !== 'word')
        throw this.unexpected(segment, `expected a field name after ${first.text}.`);
      segments.push(segment.text);
      this.index += 1;
    }
    const after = this.peek();
    const shown = segments.join('.');
    if (after.kind === 'symbol' && after.text === '(')
      throw new UnsupportedIotSqlError(`function ${shown}()`, first.at);
    if (after.kind === 'symbol' && after.text === '[')
      throw new UnsupportedIotSqlError(`array index ${shown}[…]`, after.at);
    return { kind: 'path', segments };
  }

  /** Whether the select list starts with IoT's `VALUE <expression>` (not a field named value). */
  private isSelectValue(): boolean {
    const after = this.tokens[this.index + 1];
    if (!this.isWord('VALUE') || after === undefined) return false;
    const endsItem =
      after.kind === 'end' || (after.kind === 'symbol' && ['.', ',', '('].includes(after.text));
    return !endsItem && !(after.kind === 'word' && ['AS', 'FROM'].includes(after.text.toUpperCase()));
  }

  /** The error for a token that cannot stand where it is, naming it. */
  private unexpected(token: Token, hint: string): UnsupportedIotSqlError {
    return new UnsupportedIotSqlError(describe(token), token.at, hint);
  }

  private peek(): Token {
    return this.tokens[this.index] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  private isWord(keyword: string): boolean {
    const token = this.peek();
    return token.kind === 'word' && token.text.toUpperCase() === keyword;
  }

  private takeWord(keyword: string): boolean {
    if (!this.isWord(keyword)) return false;
    this.index += 1;
    return true;
  }

  private takeSymbol(symbol: string): boolean {
    const token = this.peek();
    if (token.kind !== 'symbol' || token.text !== symbol) return false;
    this.index += 1;
    return true;
  }
}

/** How an error names a token: keywords in capitals, strings as written, anything else quoted. */
function describe(token: Token): string {
  if (token.kind === 'end') return 'the end of the statement';
  if (token.kind === 'string') return `the string ${token.text}`;
  if (token.kind === 'word' && RESERVED.has(token.text.toUpperCase())) return token.text.toUpperCase();
  return `'${token.text}'`;
}
