/**
 * CloudFormation dynamic references to Secrets Manager,
 * `{{resolve:secretsmanager:<secret-id>[:SecretString[:<json-key>[:<version-stage>[:<version-id>]]]]}}`, resolved
 * against the local cloud's secrets. The secret id is a name or a full ARN
 * (`arn:<partition>:secretsmanager:<region>:<account>:secret:<name-with-suffix>`, colons included). SSM parameters
 * (`ssm`, `ssm-secure`) have no local store and are refused.
 */

/** The secret's `SecretString` for a name or ARN, or `undefined` when there is no such secret (matching is the caller's). */
export type SecretLookup = (secretId: string) => string | undefined;

/** One parsed `{{resolve:secretsmanager:…}}` reference. */
export interface SecretsManagerReference {
  /** The whole reference, braces included, as it stands in the text. */
  reference: string;
  /** The secret's name or full ARN. */
  secretId: string;
  /** The key of the secret's JSON to take; `undefined` for the whole `SecretString`. */
  jsonKey?: string;
  /** `undefined` when not given (AWSCURRENT). */
  versionStage?: string;
  versionId?: string;
}

/** A dynamic reference that cannot be resolved; `reference` is the reference as written (never the secret's value). */
export class DynamicReferenceError extends Error {
  override readonly name = 'DynamicReferenceError';
  readonly reference: string;

  constructor(reference: string, problem: string) {
    super(`${reference}: ${problem}`);
    this.reference = reference;
  }
}

/** Every `{{resolve:…}}`: the body stops at the first `}}` (secret names, keys and stages hold no braces). */
const DYNAMIC_REFERENCE = /\{\{resolve:(.*?)\}\}/gs;

/** An ARN's fields before the secret's name: `arn`, partition, service, region, account, `secret`. */
const ARN_FIELDS_BEFORE_NAME = 6;

/**
 * `text` with every Secrets Manager dynamic reference replaced by the secret's `SecretString`, or by the value of
 * its JSON key when the reference names one; text without references is returned as it is. One pass: a secret's
 * value that itself looks like a reference is not resolved again. Throws a {@link DynamicReferenceError} naming the
 * reference for an unknown secret, a secret that is not a JSON object when a key is asked for, a missing key or
 * one whose value is not a string, a version stage other than AWSCURRENT, a version id (local secrets have one
 * version, which `lookup` does not name), an `ssm`/`ssm-secure` reference, or a malformed one.
 *
 * @example resolveDynamicReferences('{{resolve:secretsmanager:broker-user:SecretString:password}}', lookup) // 'k3#…'
 */
export function resolveDynamicReferences(text: string, lookup: SecretLookup): string {
  if (!text.includes('{{resolve:')) return text;
  return text.replace(DYNAMIC_REFERENCE, (reference: string) =>
    secretValueOf(parseSecretsManagerReference(reference), lookup),
  );
}

/**
 * A `{{resolve:secretsmanager:…}}` reference's parts. Throws a {@link DynamicReferenceError} for a reference to
 * another service, a malformed ARN, a part other than `SecretString`, too many parts, or both a version stage and a
 * version id.
 */
export function parseSecretsManagerReference(reference: string): SecretsManagerReference {
  const body = /^\{\{resolve:(.*)\}\}$/s.exec(reference)?.[1];
  if (body === undefined)
    throw new DynamicReferenceError(reference, 'is not a {{resolve:…}} dynamic reference');
  const service = body.split(':', 1)[0] ?? '';
  if (service === 'ssm' || service === 'ssm-secure') {
    throw new DynamicReferenceError(
      reference,
      `${service} parameters cannot be resolved locally: the local cloud has no Systems Manager Parameter Store`,
    );
  }
  if (service !== 'secretsmanager') {
    throw new DynamicReferenceError(
      reference,
      `unknown dynamic reference service ${JSON.stringify(service)}`,
    );
  }
  const fields = body.slice('secretsmanager:'.length).split(':');
  const idFields = fields[0] === 'arn' ? ARN_FIELDS_BEFORE_NAME + 1 : 1;
  const secretId = fields.slice(0, idFields).join(':');
  if (fields[0] === 'arn') checkArn(reference, fields.slice(0, idFields));
  if (secretId === '') throw new DynamicReferenceError(reference, 'names no secret');

  const [part = '', jsonKey = '', versionStage = '', versionId = '', ...extra] = fields.slice(idFields);
  if (extra.length > 0) {
    throw new DynamicReferenceError(
      reference,
      'has too many parts: secretsmanager:<secret-id>:SecretString:<json-key>:<version-stage>:<version-id>',
    );
  }
  if (part !== '' && part !== 'SecretString') {
    throw new DynamicReferenceError(
      reference,
      `${JSON.stringify(part)} is not SecretString, the only part CloudFormation resolves`,
    );
  }
  if (versionStage !== '' && versionId !== '') {
    throw new DynamicReferenceError(reference, 'names both a version stage and a version id: give one');
  }
  return {
    reference,
    secretId,
    ...(jsonKey !== '' && { jsonKey }),
    ...(versionStage !== '' && { versionStage }),
    ...(versionId !== '' && { versionId }),
  };
}

function checkArn(reference: string, fields: readonly string[]): void {
  const [, partition, service, region, account, resourceType, name] = fields;
  const problem =
    fields.length < ARN_FIELDS_BEFORE_NAME + 1 || !name
      ? 'has no secret name'
      : !partition || !region || !account
        ? 'lacks a partition, region or account'
        : service !== 'secretsmanager' || resourceType !== 'secret'
          ? 'is not a Secrets Manager secret (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)'
          : undefined;
  if (problem !== undefined) {
    throw new DynamicReferenceError(reference, `the ARN ${fields.join(':')} ${problem}`);
  }
}

function secretValueOf(parsed: SecretsManagerReference, lookup: SecretLookup): string {
  const { reference, secretId, jsonKey, versionStage, versionId } = parsed;
  if (versionStage !== undefined && versionStage !== 'AWSCURRENT') {
    throw new DynamicReferenceError(
      reference,
      `version stage ${versionStage} cannot be resolved locally: each local secret has one version, AWSCURRENT`,
    );
  }
  if (versionId !== undefined) {
    throw new DynamicReferenceError(
      reference,
      `version id ${versionId} cannot be resolved locally: each local secret has one version; refer to it by AWSCURRENT or by nothing`,
    );
  }
  const secretString = lookup(secretId);
  if (secretString === undefined) {
    throw new DynamicReferenceError(reference, `no secret ${secretId} in the local cloud`);
  }
  if (jsonKey === undefined) return secretString;
  let secret: unknown;
  try {
    secret = JSON.parse(secretString);
  } catch {
    throw new DynamicReferenceError(
      reference,
      `the secret ${secretId} is not JSON, so it has no key ${jsonKey}`,
    );
  }
  if (typeof secret !== 'object' || secret === null || Array.isArray(secret)) {
    throw new DynamicReferenceError(
      reference,
      `the secret ${secretId} is not a JSON object, so it has no key ${jsonKey}`,
    );
  }
  if (!Object.hasOwn(secret, jsonKey)) {
    throw new DynamicReferenceError(reference, `the secret ${secretId} has no key ${jsonKey}`);
  }
  const value: unknown = (secret as Record<string, unknown>)[jsonKey];
  if (typeof value !== 'string') {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    throw new DynamicReferenceError(
      reference,
      `the key ${jsonKey} of the secret ${secretId} holds ${kind}, not a string`,
    );
  }
  return value;
}
