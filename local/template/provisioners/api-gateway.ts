import { fakeId, lambdaFunctionNameIn, named, resourceOf } from './names.js';
import { optionalText, type Provisioned, type ResourceScope, requiredText } from './resource-scope.js';

/**
 * The HTTP API (`AWS::ApiGatewayV2::*`): nothing to create; integrations and routes become the routes the local
 * router serves, the API and its stage are only named.
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
  return { resource, route: { routeKey, method, path, ...integration } };
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
