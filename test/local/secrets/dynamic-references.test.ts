import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DynamicReferenceError,
  parseSecretsManagerReference,
  resolveDynamicReferences,
  type SecretLookup,
} from '../../../local/secrets/dynamic-references.js';

const BROKER_ARN = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:orderflow-test-broker-user-AbC123';
const BROKER_SECRET = JSON.stringify({ username: 'bridge', password: 'p@ss:w{}rd', port: 5671, tags: null });

/** The broker's user by name or ARN, and a plain-text token. */
const lookup: SecretLookup = (secretId) =>
  ({
    'orderflow-test-broker-user': BROKER_SECRET,
    [BROKER_ARN]: BROKER_SECRET,
    'api/token': 'plain-token',
  })[secretId];

/** Any text, often with the pieces of a reference in it: braces, `resolve:`, `{resolve:`, `{{ resolve:`. */
const nearReferences = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom(
        '{{',
        '}}',
        '{',
        'resolve:',
        '{resolve:',
        '{{ resolve:',
        '{{Resolve:',
        'secretsmanager:',
      ),
    ),
    { maxLength: 12 },
  )
  .map((pieces) => pieces.join(''));

describe('resolveDynamicReferences', () => {
  it("replaces a reference to a secret by name with the secret's whole SecretString", () => {
    // Act
    const resolved = resolveDynamicReferences('{{resolve:secretsmanager:api/token}}', lookup);

    // Assess
    expect(resolved).toBe('plain-token');
  });

  it("replaces a reference with a JSON key by that key's value", () => {
    // Act
    const resolved = resolveDynamicReferences(
      '{{resolve:secretsmanager:orderflow-test-broker-user:SecretString:password}}',
      lookup,
    );

    // Assess
    expect(resolved).toBe('p@ss:w{}rd');
  });

  it('reads a full ARN as the secret id, colons and all, and the parts after it', () => {
    // Act
    const resolved = resolveDynamicReferences(
      `{{resolve:secretsmanager:${BROKER_ARN}:SecretString:username:AWSCURRENT}}`,
      lookup,
    );

    // Assess
    expect(resolved).toBe('bridge');
  });

  it('replaces every reference in a string and keeps the text around them', () => {
    // Act
    const resolved = resolveDynamicReferences(
      'amqps://{{resolve:secretsmanager:orderflow-test-broker-user:SecretString:username}}:' +
        '{{resolve:secretsmanager:orderflow-test-broker-user::password}}@broker:5671 ({{resolve:secretsmanager:api/token}})',
      lookup,
    );

    // Assess
    expect(resolved).toBe('amqps://bridge:p@ss:w{}rd@broker:5671 (plain-token)');
  });

  it('accepts an empty or AWSCURRENT version stage', () => {
    // Act
    const empty = resolveDynamicReferences('{{resolve:secretsmanager:api/token:SecretString::}}', lookup);
    const current = resolveDynamicReferences(
      '{{resolve:secretsmanager:api/token:SecretString::AWSCURRENT}}',
      lookup,
    );

    // Assess
    expect([empty, current]).toEqual(['plain-token', 'plain-token']);
  });

  it("does not resolve a reference that a secret's value holds", () => {
    // Prepare
    const nested: SecretLookup = (id) => (id === 'outer' ? '{{resolve:secretsmanager:inner}}' : undefined);

    // Act
    const resolved = resolveDynamicReferences('{{resolve:secretsmanager:outer}}', nested);

    // Assess
    expect(resolved).toBe('{{resolve:secretsmanager:inner}}');
  });

  it('returns text without {{resolve: unchanged, without looking anything up', () => {
    fc.assert(
      fc.property(nearReferences, (text) => {
        fc.pre(!text.includes('{{resolve:'));
        // Prepare
        const refuse: SecretLookup = () => {
          throw new Error('looked up');
        };

        // Act
        const resolved = resolveDynamicReferences(text, refuse);

        // Assess
        expect(resolved).toBe(text);
      }),
    );
  });

  it('leaves an unclosed {{resolve: as it is', () => {
    expect(resolveDynamicReferences('{{resolve:secretsmanager:api/token', lookup)).toBe(
      '{{resolve:secretsmanager:api/token',
    );
  });
});

describe('resolveDynamicReferences refuses what it cannot resolve, naming the reference', () => {
  const cases: [string, string, string][] = [
    ['an unknown secret', '{{resolve:secretsmanager:nope}}', 'no secret nope'],
    [
      'a missing JSON key',
      '{{resolve:secretsmanager:orderflow-test-broker-user:SecretString:host}}',
      'has no key host',
    ],
    [
      'a JSON key holding a number',
      '{{resolve:secretsmanager:orderflow-test-broker-user:SecretString:port}}',
      'holds a number, not a string',
    ],
    [
      'a JSON key holding null',
      '{{resolve:secretsmanager:orderflow-test-broker-user:SecretString:tags}}',
      'holds null, not a string',
    ],
    [
      'a JSON key of a secret that is not JSON',
      '{{resolve:secretsmanager:api/token:SecretString:password}}',
      'is not JSON',
    ],
    [
      'a version stage other than AWSCURRENT',
      '{{resolve:secretsmanager:api/token:SecretString::AWSPREVIOUS}}',
      'version stage AWSPREVIOUS',
    ],
    [
      'a version id',
      '{{resolve:secretsmanager:api/token:SecretString:::6e3b2a4c-0000-4000-8000-000000000000}}',
      'version id 6e3b2a4c',
    ],
    [
      'both a version stage and a version id',
      '{{resolve:secretsmanager:api/token:SecretString::AWSCURRENT:6e3b2a4c}}',
      'both a version stage and a version id',
    ],
    ['an SSM parameter', '{{resolve:ssm:/orderflow/test/flag:1}}', 'no Systems Manager Parameter Store'],
    ['a secure SSM parameter', '{{resolve:ssm-secure:/orderflow/test/key:3}}', 'ssm-secure parameters'],
    ['another service', '{{resolve:vault:key}}', 'unknown dynamic reference service "vault"'],
    ['a part other than SecretString', '{{resolve:secretsmanager:api/token:SecretBinary}}', 'SecretBinary'],
    ['no secret id', '{{resolve:secretsmanager:}}', 'names no secret'],
    [
      'too many parts',
      '{{resolve:secretsmanager:api/token:SecretString:a:AWSCURRENT::extra}}',
      'too many parts',
    ],
    [
      'an ARN cut short',
      '{{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:000000000000:secret}}',
      'has no secret name',
    ],
    [
      "an ARN of another service's resource",
      '{{resolve:secretsmanager:arn:aws:ssm:eu-west-1:000000000000:parameter:flag}}',
      'is not a Secrets Manager secret',
    ],
  ];

  it.each(cases)('refuses %s', (_case, reference, problem) => {
    // Act
    const attempt = () => resolveDynamicReferences(`prefix ${reference} suffix`, lookup);

    // Assess
    expect(attempt).toThrow(DynamicReferenceError);
    expect(attempt).toThrow(`${reference}: `);
    expect(attempt).toThrow(problem);
  });

  it("never puts the secret's value in the error", () => {
    // Act
    const attempt = () =>
      resolveDynamicReferences('{{resolve:secretsmanager:orderflow-test-broker-user::port}}', lookup);

    // Assess
    expect(attempt).toThrow(DynamicReferenceError);
    expect(attempt).not.toThrow('p@ss');
    expect(attempt).not.toThrow('5671');
  });
});

describe('parseSecretsManagerReference', () => {
  it('splits an ARN reference into the ARN, the key and the stage', () => {
    // Act
    const parsed = parseSecretsManagerReference(
      `{{resolve:secretsmanager:${BROKER_ARN}:SecretString:password:AWSCURRENT}}`,
    );

    // Assess
    expect(parsed).toEqual({
      reference: `{{resolve:secretsmanager:${BROKER_ARN}:SecretString:password:AWSCURRENT}}`,
      secretId: BROKER_ARN,
      jsonKey: 'password',
      versionStage: 'AWSCURRENT',
    });
  });

  it('gives a bare name with nothing else', () => {
    expect(parseSecretsManagerReference('{{resolve:secretsmanager:broker}}')).toEqual({
      reference: '{{resolve:secretsmanager:broker}}',
      secretId: 'broker',
    });
  });
});
