import { TemplateResolutionError } from '../intrinsics.js';
import type { RouteAuthorizer } from '../model.js';
import { fakeId, lambdaFunctionNameIn, named, resourceOf } from './names.js';
import {
  isRecord,
  optionalText,
  type Provisioned,
  propertyPath,
  type ResourceScope,
  requiredText,
  resolveProperty,
  textListOf,
  textOf,
} from './resource-scope.js';

/**
 * The HTTP API (`AWS::ApiGatewayV2::*`): nothing to create; integrations, JWT authorizers and routes become the
 * routes the local router serves, the API and its stage are only named.
 */

export async function provisionIntegration(scope: ResourceScope): Promise<Provisioned> {
  const id = fakeId(scope, 7);
  const resource = resourceOf(scope, id, { IntegrationId: id });
  const uri = optionalText(scope, 'IntegrationUri');
  const functionName = uri === undefined ? undefined : lambdaFunctionNameIn(uri);
  if (optionalText(scope, 'IntegrationType') !== 'AWS_PROXY' || functionName === undefined) {
    scope.warn(
      `local cloud: not provided locally: HTTP API integration other than Lambda (${scope.logicalId})`,
    );
    return { resource };
  }
  const payloadFormatVersion = optionalText(scope, 'PayloadFormatVersion') ?? '2.0';
  return { resource, integration: { functionName, payloadFormatVersion } };
}

export async function provisionRoute(scope: ResourceScope): Promise<Provisioned> {
  const id = fakeId(scope, 7);
  const resource = resourceOf(scope, id, { RouteId: id });
  const routeKey = requiredText(scope, 'RouteKey');
  const target = optionalText(scope, 'Target');
  const integration = target?.startsWith('integrations/')
    ? scope.integrations.get(target.slice('integrations/'.length))
    : undefined;
  if (integration === undefined) {
    scope.warn(`local cloud: route ${routeKey} has no Lambda integration locally (${scope.logicalId})`);
    return { resource };
  }
  const [method, path] = methodAndPathOf(routeKey);
  const authorizer = routeAuthorizerOf(scope, routeKey);
  return {
    resource,
    route: { routeKey, method, path, ...integration, ...(authorizer === undefined ? {} : { authorizer }) },
  };
}

/**
 * The route's JWT authorizer, as API Gateway applies it. `NONE` (or no `AuthorizationType`) leaves the route open;
 * a type the local cloud cannot check (`AWS_IAM`, `CUSTOM`) or an authorizer it did not provision fails the
 * provisioning: serving such a route open would hide that it is not protected.
 */
function routeAuthorizerOf(scope: ResourceScope, routeKey: string): RouteAuthorizer | undefined {
  const type = optionalText(scope, 'AuthorizationType') ?? 'NONE';
  if (type === 'NONE') return undefined;
  if (type !== 'JWT') {
    throw new TemplateResolutionError(
      propertyPath(scope, 'AuthorizationType'),
      `${type} is not checked locally; only JWT authorizers are (route ${routeKey})`,
    );
  }
  const authorizerId = requiredText(scope, 'AuthorizerId');
  const authorizer = scope.authorizers.get(authorizerId);
  if (authorizer === undefined) {
    throw new TemplateResolutionError(
      propertyPath(scope, 'AuthorizerId'),
      `names ${authorizerId}, which is no JWT authorizer of this template (route ${routeKey})`,
    );
  }
  return { ...authorizer, scopes: textListOf(scope, 'AuthorizationScopes') };
}

/**
 * A JWT authorizer (`AuthorizerType: JWT`): its issuer, audience and identity source, for the routes that name it.
 * Lambda (`REQUEST`) authorizers are not run locally: they are named, with a warning.
 */
export async function provisionAuthorizer(scope: ResourceScope): Promise<Provisioned> {
  const id = fakeId(scope, 6);
  const resource = resourceOf(scope, id, { AuthorizerId: id });
  const name = optionalText(scope, 'Name') ?? scope.logicalId;
  if (optionalText(scope, 'AuthorizerType') !== 'JWT') {
    scope.warn(`local cloud: not provided locally: HTTP API authorizer other than JWT (${scope.logicalId})`);
    return { resource };
  }
  const configuration = resolveProperty(scope, 'JwtConfiguration');
  const { Issuer: issuer, Audience: audience } = isRecord(configuration) ? configuration : {};
  const where = propertyPath(scope, 'JwtConfiguration');
  if (typeof issuer !== 'string' || issuer === '') {
    throw new TemplateResolutionError(`${where}.Issuer`, 'is required for a JWT authorizer');
  }
  if (!Array.isArray(audience) || audience.length === 0) {
    throw new TemplateResolutionError(`${where}.Audience`, 'must list at least one audience');
  }
  return {
    resource,
    authorizer: {
      name,
      issuer,
      audience: audience.map((item, index) => textOf(item, `${where}.Audience[${index}]`)),
      identitySource: textListOf(scope, 'IdentitySource'),
    },
  };
}

function methodAndPathOf(routeKey: string): [string, string] {
  if (routeKey === '$default') return ['ANY', '$default'];
  const space = routeKey.indexOf(' ');
  return space < 0 ? ['ANY', routeKey] : [routeKey.slice(0, space).toUpperCase(), routeKey.slice(space + 1)];
}

export async function nameApi(scope: ResourceScope): Promise<Provisioned> {
  const apiId = fakeId(scope, 10);
  const apiEndpoint = `https://${apiId}.execute-api.${scope.context.region}.amazonaws.com`;
  return named(scope, apiId, { ApiId: apiId, ApiEndpoint: apiEndpoint });
}

export async function nameStage(scope: ResourceScope): Promise<Provisioned> {
  return named(scope, optionalText(scope, 'StageName') ?? '$default', {});
}
