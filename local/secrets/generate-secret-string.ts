import { randomInt as cryptoRandomInt } from 'node:crypto';

/**
 * CloudFormation's `GenerateSecretString` for an `AWS::SecretsManager::Secret`: a random password, alone or set as
 * one key of a JSON template (`{"username":"broker"}` + `password` → `{"username":"broker","password":"…"}`), with
 * the character rules of Secrets Manager's `GetRandomPassword`.
 */

/** The 32 printable ASCII punctuation characters Secrets Manager draws from (`ExcludePunctuation` removes them). */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

/** Secrets Manager's default and its limits for `PasswordLength`. */
export const DEFAULT_PASSWORD_LENGTH = 32;
export const MAX_PASSWORD_LENGTH = 4096;

/**
 * The `GenerateSecretString` property as the template gives it, intrinsics resolved. Numbers and booleans may be
 * written as text (`"64"`, `"true"`), as CloudFormation accepts them.
 */
export interface GenerateSecretStringSpec {
  /** A JSON object (as text) to put the password into; needs `GenerateStringKey`. */
  SecretStringTemplate?: string;
  /** The key of `SecretStringTemplate` the password is set to; needs `SecretStringTemplate`. */
  GenerateStringKey?: string;
  /** 1 to 4096; default 32. */
  PasswordLength?: number | string;
  /** Characters the password never holds. */
  ExcludeCharacters?: string;
  ExcludeNumbers?: boolean | string;
  ExcludePunctuation?: boolean | string;
  ExcludeUppercase?: boolean | string;
  ExcludeLowercase?: boolean | string;
  /** Default false. */
  IncludeSpace?: boolean | string;
  /**
   * Default true: at least one lowercase letter, uppercase letter, digit and punctuation character — each kind
   * that is included and not wholly excluded by `ExcludeCharacters`. A space is never required.
   */
  RequireEachIncludedType?: boolean | string;
}

/** A random integer from 0 (included) to `max` (excluded); `node:crypto`'s `randomInt` unless a test injects one. */
export type RandomInt = (max: number) => number;

/** A `GenerateSecretString` CloudFormation would reject; `property` names the offending property. */
export class GenerateSecretStringError extends Error {
  override readonly name = 'GenerateSecretStringError';
  readonly property: string;

  constructor(property: string, message: string) {
    super(`GenerateSecretString.${property}: ${message}`);
    this.property = property;
  }
}

const KNOWN_PROPERTIES: ReadonlySet<string> = new Set([
  'SecretStringTemplate',
  'GenerateStringKey',
  'PasswordLength',
  'ExcludeCharacters',
  'ExcludeNumbers',
  'ExcludePunctuation',
  'ExcludeUppercase',
  'ExcludeLowercase',
  'IncludeSpace',
  'RequireEachIncludedType',
]);

/**
 * The secret string `spec` generates: the bare password, or `SecretStringTemplate` (compact JSON, its other keys
 * kept in order) with `GenerateStringKey` set to the password. Throws a {@link GenerateSecretStringError} naming
 * the property for a template that is not a JSON object, a template without a key or a key without a template, a
 * length outside 1–4096 (or shorter than the number of required kinds), and rules that exclude every character.
 *
 * @example generateSecretString({ SecretStringTemplate: '{"username":"broker"}', GenerateStringKey: 'password' })
 * // '{"username":"broker","password":"k3#…"}'
 */
export function generateSecretString(
  spec: GenerateSecretStringSpec,
  randomInt: RandomInt = cryptoRandomInt,
): string {
  for (const property of Object.keys(spec)) {
    if (!KNOWN_PROPERTIES.has(property)) {
      throw new GenerateSecretStringError(property, 'is not a property of GenerateSecretString');
    }
  }
  const template = templateOf(spec);
  const password = generatePassword(spec, randomInt);
  if (template === undefined) return password;
  // Defined, not assigned: a key of `__proto__` is an own key of the JSON, as CloudFormation sees it.
  Object.defineProperty(template.object, template.key, {
    value: password,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return JSON.stringify(template.object);
}

/**
 * A password of `spec`'s length and character rules (the template properties are ignored), as Secrets Manager's
 * `GetRandomPassword` makes one.
 */
export function generatePassword(
  spec: GenerateSecretStringSpec,
  randomInt: RandomInt = cryptoRandomInt,
): string {
  const length = passwordLengthOf(spec);
  const excluded = new Set(textProperty(spec, 'ExcludeCharacters') ?? '');
  const allowed = (characters: string): string[] => [...characters].filter((c) => !excluded.has(c));
  const kinds: string[][] = [];
  if (!booleanProperty(spec, 'ExcludeLowercase', false)) kinds.push(allowed(LOWERCASE));
  if (!booleanProperty(spec, 'ExcludeUppercase', false)) kinds.push(allowed(UPPERCASE));
  if (!booleanProperty(spec, 'ExcludeNumbers', false)) kinds.push(allowed(DIGITS));
  if (!booleanProperty(spec, 'ExcludePunctuation', false)) kinds.push(allowed(PUNCTUATION));
  const requiredKinds = kinds.filter((kind) => kind.length > 0);
  const includeSpace = booleanProperty(spec, 'IncludeSpace', false);
  const pool = [...requiredKinds.flat(), ...(includeSpace ? allowed(' ') : [])];
  if (pool.length === 0) {
    // Named after what excluded the last characters: the flags alone, or ExcludeCharacters on top of them.
    throw kinds.length === 0 && !includeSpace
      ? new GenerateSecretStringError(
          'ExcludePunctuation',
          'every character is excluded: ExcludeLowercase, ExcludeUppercase, ExcludeNumbers and ExcludePunctuation are all true and IncludeSpace is not',
        )
      : new GenerateSecretStringError(
          'ExcludeCharacters',
          'every character is excluded: none of the included kinds has a character left',
        );
  }

  const characters: string[] = [];
  if (booleanProperty(spec, 'RequireEachIncludedType', true)) {
    if (length < requiredKinds.length) {
      throw new GenerateSecretStringError(
        'PasswordLength',
        `${length} is too short to hold one of each of the ${requiredKinds.length} included kinds of character (RequireEachIncludedType)`,
      );
    }
    for (const kind of requiredKinds) characters.push(pick(kind, randomInt));
  }
  while (characters.length < length) characters.push(pick(pool, randomInt));
  shuffle(characters, randomInt);
  return characters.join('');
}

function templateOf(
  spec: GenerateSecretStringSpec,
): { object: Record<string, unknown>; key: string } | undefined {
  const text = textProperty(spec, 'SecretStringTemplate');
  const key = textProperty(spec, 'GenerateStringKey');
  if (text === undefined && key === undefined) return undefined;
  if (text === undefined) {
    throw new GenerateSecretStringError(
      'GenerateStringKey',
      'needs a SecretStringTemplate to set the key in',
    );
  }
  if (key === undefined || key === '') {
    throw new GenerateSecretStringError(
      'SecretStringTemplate',
      'needs a GenerateStringKey: the key the generated password is set to',
    );
  }
  let object: unknown;
  try {
    object = JSON.parse(text);
  } catch {
    throw new GenerateSecretStringError('SecretStringTemplate', 'is not JSON');
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new GenerateSecretStringError('SecretStringTemplate', 'is not a JSON object');
  }
  return { object: object as Record<string, unknown>, key };
}

function passwordLengthOf(spec: GenerateSecretStringSpec): number {
  const value = spec.PasswordLength;
  if (value === undefined) return DEFAULT_PASSWORD_LENGTH;
  const length = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof length !== 'number' || !Number.isInteger(length)) {
    throw new GenerateSecretStringError(
      'PasswordLength',
      `expected a whole number, got ${JSON.stringify(value)}`,
    );
  }
  if (length < 1 || length > MAX_PASSWORD_LENGTH) {
    throw new GenerateSecretStringError(
      'PasswordLength',
      `${length} is out of range: it must be from 1 to ${MAX_PASSWORD_LENGTH}`,
    );
  }
  return length;
}

type TextProperty = 'SecretStringTemplate' | 'GenerateStringKey' | 'ExcludeCharacters';
type BooleanProperty =
  | 'ExcludeNumbers'
  | 'ExcludePunctuation'
  | 'ExcludeUppercase'
  | 'ExcludeLowercase'
  | 'IncludeSpace'
  | 'RequireEachIncludedType';

function textProperty(spec: GenerateSecretStringSpec, name: TextProperty): string | undefined {
  const value: unknown = spec[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new GenerateSecretStringError(name, `expected a string, got ${JSON.stringify(value)}`);
}

function booleanProperty(spec: GenerateSecretStringSpec, name: BooleanProperty, byDefault: boolean): boolean {
  const value: unknown = spec[name];
  if (value === undefined) return byDefault;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new GenerateSecretStringError(name, `expected true or false, got ${JSON.stringify(value)}`);
}

function pick(characters: readonly string[], randomInt: RandomInt): string {
  const character = characters[randomInt(characters.length)];
  if (character === undefined) throw new RangeError(`randomInt(${characters.length}) is out of range`);
  return character;
}

/** Fisher–Yates, so that the required characters are not always first. */
function shuffle(characters: string[], randomInt: RandomInt): void {
  for (let index = characters.length - 1; index > 0; index -= 1) {
    const other = randomInt(index + 1);
    const held = characters[index] as string;
    characters[index] = characters[other] as string;
    characters[other] = held;
  }
}
