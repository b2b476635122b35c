import { type GenerateSecretStringSpec, generateSecretString } from '../../secrets/generate-secret-string.js';
import { TemplateResolutionError } from '../intrinsics.js';
import { arnOf, fakeId, fakeUuid, generateName, resourceOf } from './names.js';
import {
  isRecord,
  optionalText,
  type Provisioned,
  propertyPath,
  type ResourceScope,
  resolveProperty,
} from './resource-scope.js';

/**
 * `AWS::SecretsManager::Secret`: its value is `SecretString`, or generated from `GenerateSecretString` as Secrets
 * Manager generates it (a new password at every start: nothing keeps it but the running local cloud). The local
 * Secrets Manager serves it; `{{resolve:secretsmanager:…}}` references in later resources read it.
 */
export async function provisionSecret(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'Name') ?? generateName(scope, { maxLength: 256 });
  // Secrets Manager ends a secret's ARN with a dash and six random characters.
  const arn = arnOf(scope, 'secretsmanager', `secret:${name}-${fakeId(scope, 6)}`);
  const secretString = optionalText(scope, 'SecretString') ?? generatedValue(scope);
  return {
    resource: resourceOf(scope, arn, { Id: arn }),
    secret: {
      logicalId: scope.logicalId,
      name,
      arn,
      secretString,
      versionId: fakeUuid(scope, 'version'),
      createdDate: new Date(),
    },
  };
}

function generatedValue(scope: ResourceScope): string {
  const spec = resolveProperty(scope, 'GenerateSecretString');
  if (!isRecord(spec)) {
    throw new TemplateResolutionError(
      propertyPath(scope, 'SecretString'),
      'a secret needs SecretString or GenerateSecretString',
    );
  }
  return generateSecretString(spec as GenerateSecretStringSpec);
}
