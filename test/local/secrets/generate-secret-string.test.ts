import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PASSWORD_LENGTH,
  GenerateSecretStringError,
  type GenerateSecretStringSpec,
  generatePassword,
  generateSecretString,
  PUNCTUATION,
  type RandomInt,
} from '../../../local/secrets/generate-secret-string.js';
import { seededRandom } from '../../../shared/faults/fault-dice.js';

const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const PRINTABLE = `${LOWERCASE}${UPPERCASE}${DIGITS}${PUNCTUATION} `;

/** Reproducible randomness for a property run: fast-check shrinks the seed like any other input. */
function randomFrom(seed: number): RandomInt {
  const next = seededRandom(seed, 'generate-secret-string');
  return (max) => Math.floor(next() * max);
}

/** What a spec allows, kind by kind, after ExcludeCharacters (the test's own reading of the rules). */
function includedKinds(spec: GenerateSecretStringSpec): string[][] {
  const excluded = new Set(spec.ExcludeCharacters ?? '');
  const kinds: [string, unknown][] = [
    [LOWERCASE, spec.ExcludeLowercase],
    [UPPERCASE, spec.ExcludeUppercase],
    [DIGITS, spec.ExcludeNumbers],
    [PUNCTUATION, spec.ExcludePunctuation],
  ];
  return kinds
    .filter(([, excludedKind]) => excludedKind !== true)
    .map(([characters]) => [...characters].filter((c) => !excluded.has(c)))
    .filter((kind) => kind.length > 0);
}

/** Any password rules with a length of 4 or more; those that exclude every character are skipped (`allowsSomething`). */
const passwordSpec = fc.record(
  {
    PasswordLength: fc.integer({ min: 4, max: 300 }),
    ExcludeCharacters: fc
      .subarray([...PRINTABLE], { maxLength: 60 })
      .map((characters) => characters.join('')),
    ExcludeNumbers: fc.boolean(),
    ExcludePunctuation: fc.boolean(),
    ExcludeUppercase: fc.boolean(),
    ExcludeLowercase: fc.boolean(),
    IncludeSpace: fc.boolean(),
    RequireEachIncludedType: fc.boolean(),
  },
  { requiredKeys: ['PasswordLength'] },
);

function allowsSomething(spec: GenerateSecretStringSpec): boolean {
  const spaceAllowed = spec.IncludeSpace === true && !(spec.ExcludeCharacters ?? '').includes(' ');
  return includedKinds(spec).length > 0 || spaceAllowed;
}

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe('generateSecretString', () => {
  it('makes a password of exactly PasswordLength characters', () => {
    fc.assert(
      fc.property(passwordSpec, seed, (spec, s) => {
        fc.pre(allowsSomething(spec));
        // Act
        const password = generateSecretString(spec, randomFrom(s));

        // Assess
        expect([...password]).toHaveLength(spec.PasswordLength);
      }),
    );
  });

  it('never puts in an excluded character, or one of an excluded kind', () => {
    fc.assert(
      fc.property(passwordSpec, seed, (spec, s) => {
        fc.pre(allowsSomething(spec));
        const allowed = new Set([...includedKinds(spec).flat(), ...(spec.IncludeSpace ? [' '] : [])]);
        for (const character of spec.ExcludeCharacters ?? '') allowed.delete(character);

        // Act
        const password = generateSecretString(spec, randomFrom(s));

        // Assess
        expect([...password].filter((character) => !allowed.has(character))).toEqual([]);
      }),
    );
  });

  it('puts in at least one character of each included kind when RequireEachIncludedType holds', () => {
    fc.assert(
      fc.property(passwordSpec, seed, (spec, s) => {
        fc.pre(allowsSomething(spec));
        const required = { ...spec, RequireEachIncludedType: true };

        // Act
        const password = generateSecretString(required, randomFrom(s));

        // Assess
        for (const kind of includedKinds(required)) {
          expect([...password].some((character) => kind.includes(character))).toBe(true);
        }
      }),
    );
  });

  it("sets GenerateStringKey in the template and keeps the template's other keys as they were", () => {
    const jsonValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), jsonValue, { maxKeys: 6 }),
        fc.string({ minLength: 1, maxLength: 12 }),
        seed,
        (template, key, s) => {
          // Act
          const secret = JSON.parse(
            generateSecretString(
              { SecretStringTemplate: JSON.stringify(template), GenerateStringKey: key, PasswordLength: 20 },
              randomFrom(s),
            ),
          ) as Record<string, unknown>;

          // Assess
          const { [key]: password, ...others } = secret;
          const { [key]: _replaced, ...expectedOthers } = template;
          expect(others).toEqual(expectedOthers);
          expect(password).toEqual(expect.any(String));
          expect(password).toHaveLength(20);
        },
      ),
    );
  });

  it('makes a 32-character password of letters, digits and punctuation by default, from crypto randomness', () => {
    // Act
    const first = generateSecretString({});
    const second = generateSecretString({});

    // Assess
    expect(first).toHaveLength(DEFAULT_PASSWORD_LENGTH);
    expect(first).toMatch(/^[!-~]+$/);
    expect(first).not.toBe(second);
  });

  it('gives the template as compact JSON, the key keeping its place when the template already has it', () => {
    // Act
    const secret = generateSecretString({
      SecretStringTemplate: '{ "password": "placeholder", "username": "broker" }',
      GenerateStringKey: 'password',
      PasswordLength: 8,
      ExcludePunctuation: true,
    });

    // Assess
    expect(secret).toMatch(/^\{"password":"[A-Za-z0-9]{8}","username":"broker"\}$/);
  });

  it('sets a key named __proto__ as an own key of the JSON', () => {
    // Act
    const secret = generateSecretString({
      SecretStringTemplate: '{"username":"broker"}',
      GenerateStringKey: '__proto__',
      PasswordLength: 6,
      ExcludePunctuation: true,
    });

    // Assess
    expect(secret).toMatch(/^\{"username":"broker","__proto__":"[A-Za-z0-9]{6}"\}$/);
  });

  it('draws from the space too when IncludeSpace is true', () => {
    // Act
    const password = generatePassword({
      PasswordLength: 10,
      ExcludeLowercase: true,
      ExcludeUppercase: true,
      ExcludeNumbers: true,
      ExcludePunctuation: true,
      IncludeSpace: true,
    });

    // Assess
    expect(password).toBe(' '.repeat(10));
  });

  it('reads numbers and booleans written as text, as CloudFormation does', () => {
    // Act
    const password = generateSecretString({
      PasswordLength: '12',
      ExcludeUppercase: 'true',
      ExcludePunctuation: 'true',
      ExcludeNumbers: 'true',
      RequireEachIncludedType: 'false',
    });

    // Assess
    expect(password).toMatch(/^[a-z]{12}$/);
  });

  it('is a pure function of the randomness it is given', () => {
    // Prepare
    const spec = { PasswordLength: 16 };

    // Act
    const once = generateSecretString(spec, randomFrom(7));
    const again = generateSecretString(spec, randomFrom(7));

    // Assess
    expect(once).toBe(again);
  });
});

describe('generateSecretString rejects what CloudFormation rejects', () => {
  const cases: [string, GenerateSecretStringSpec, string][] = [
    [
      'a template that is not JSON',
      { SecretStringTemplate: '{username: broker}', GenerateStringKey: 'password' },
      'SecretStringTemplate',
    ],
    [
      'a template that is not a JSON object',
      { SecretStringTemplate: '["broker"]', GenerateStringKey: 'password' },
      'SecretStringTemplate',
    ],
    ['a template without GenerateStringKey', { SecretStringTemplate: '{}' }, 'SecretStringTemplate'],
    ['GenerateStringKey without a template', { GenerateStringKey: 'password' }, 'GenerateStringKey'],
    ['a length of 0', { PasswordLength: 0 }, 'PasswordLength'],
    ['a length over 4096', { PasswordLength: 4097 }, 'PasswordLength'],
    ['a length that is not a whole number', { PasswordLength: '12.5' }, 'PasswordLength'],
    [
      'a length shorter than the kinds it must hold',
      { PasswordLength: 3, RequireEachIncludedType: true },
      'PasswordLength',
    ],
    [
      'every kind excluded',
      { ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true },
      'ExcludePunctuation',
    ],
    [
      'every remaining character excluded',
      {
        ExcludeLowercase: true,
        ExcludeUppercase: true,
        ExcludePunctuation: true,
        IncludeSpace: true,
        ExcludeCharacters: `${DIGITS} `,
      },
      'ExcludeCharacters',
    ],
    ['a flag that is not a boolean', { IncludeSpace: 'yes' }, 'IncludeSpace'],
    [
      'a property GenerateSecretString does not have',
      { PasswordLenght: 12 } as GenerateSecretStringSpec,
      'PasswordLenght',
    ],
  ];

  it.each(cases)('rejects %s, naming the property', (_case, spec, property) => {
    // Act
    const attempt = () => generateSecretString(spec);

    // Assess
    expect(attempt).toThrow(GenerateSecretStringError);
    expect(attempt).toThrow(`GenerateSecretString.${property}:`);
  });

  it('accepts a length of 4096', () => {
    expect(generateSecretString({ PasswordLength: 4096 })).toHaveLength(4096);
  });
});
