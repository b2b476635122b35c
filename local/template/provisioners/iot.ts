import { IotSqlError, parseTopicRuleSql } from '../../iot/iot-sql.js';
import { TemplateResolutionError } from '../intrinsics.js';
import type { AsyncInvokeConfig, OnFailureDestination, TopicRuleAction } from '../model.js';
import { queueUrlOf } from './event-source-mapping.js';
import { arnOf, fakeUuid, functionNameIn, resourceOf } from './names.js';
import {
  isRecord,
  optionalNumber,
  optionalText,
  type Provisioned,
  propertyPath,
  type ResourceScope,
  requiredText,
  resolveProperty,
} from './resource-scope.js';

/** The only SQL version the local rules engine evaluates (and the one AWS recommends). */
export const IOT_SQL_VERSION = '2016-03-23';

/**
 * `AWS::IoT::TopicRule`: its SQL is parsed here, so that a rule the local rules engine cannot evaluate stops the
 * start with the reason rather than silently never firing; its Lambda and SQS actions and its error action become
 * what the rules engine performs on each matching publish.
 */
export async function provisionTopicRule(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'RuleName') ?? scope.logicalId.replace(/[^A-Za-z0-9_]/g, '_');
  const arn = arnOf(scope, 'iot', `rule/${name}`);
  const payloadPath = propertyPath(scope, 'TopicRulePayload');
  const payload = resolveProperty(scope, 'TopicRulePayload');
  if (!isRecord(payload)) throw new TemplateResolutionError(payloadPath, 'is required');
  const sql = String(payload.Sql ?? '');
  const version = payload.AwsIotSqlVersion ?? '2015-10-08';
  if (version !== IOT_SQL_VERSION) {
    throw new TemplateResolutionError(
      `${payloadPath}.AwsIotSqlVersion`,
      `the local rules engine evaluates SQL version ${IOT_SQL_VERSION} only (got ${String(version)})`,
    );
  }
  try {
    parseTopicRuleSql(sql);
  } catch (error) {
    if (error instanceof IotSqlError) {
      throw new TemplateResolutionError(`${payloadPath}.Sql`, `${error.message} in ${JSON.stringify(sql)}`);
    }
    throw error;
  }
  const actions = await Promise.all(
    (Array.isArray(payload.Actions) ? payload.Actions : []).map((action, index) =>
      actionOf(scope, action, `${payloadPath}.Actions[${index}]`),
    ),
  );
  const errorAction =
    payload.ErrorAction === undefined
      ? undefined
      : await actionOf(scope, payload.ErrorAction, `${payloadPath}.ErrorAction`);
  return {
    resource: resourceOf(scope, name, { Arn: arn }),
    topicRule: {
      logicalId: scope.logicalId,
      name,
      arn,
      sql,
      enabled: payload.RuleDisabled !== true && payload.RuleDisabled !== 'true',
      actions: actions.filter((action): action is TopicRuleAction => action !== undefined),
      ...(errorAction === undefined ? {} : { errorAction }),
    },
  };
}

async function actionOf(
  scope: ResourceScope,
  action: unknown,
  path: string,
): Promise<TopicRuleAction | undefined> {
  if (!isRecord(action)) throw new TemplateResolutionError(path, 'expected an action');
  const [kind, settings] = Object.entries(action)[0] ?? [];
  if (kind === 'Lambda' && isRecord(settings) && typeof settings.FunctionArn === 'string') {
    return {
      kind: 'lambda',
      functionArn: settings.FunctionArn,
      functionName: functionNameIn(settings.FunctionArn),
    };
  }
  if (kind === 'Sqs' && isRecord(settings) && typeof settings.QueueUrl === 'string') {
    const queueName = settings.QueueUrl.split('/').at(-1) ?? settings.QueueUrl;
    const queue = Object.values(scope.context.resources).find(
      (resource) => resource.type === 'AWS::SQS::Queue' && resource.attributes.QueueName === queueName,
    );
    return {
      kind: 'sqs',
      queueUrl: queue?.ref ?? settings.QueueUrl,
      useBase64: settings.UseBase64 === true || settings.UseBase64 === 'true',
    };
  }
  scope.warn(`local cloud: not provided locally: topic rule action ${String(kind)} (${scope.logicalId})`);
  return undefined;
}

/**
 * `AWS::Lambda::EventInvokeConfig`: the retries, maximum event age and on-failure destination of a function's
 * asynchronous invocations (what an IoT rule's Lambda action makes), as Lambda applies them.
 */
export async function provisionEventInvokeConfig(scope: ResourceScope): Promise<Provisioned> {
  const functionName = functionNameIn(requiredText(scope, 'FunctionName'));
  const config: AsyncInvokeConfig = {
    functionName,
    maximumRetryAttempts: optionalNumber(scope, 'MaximumRetryAttempts') ?? 2,
    maximumEventAgeSeconds: optionalNumber(scope, 'MaximumEventAgeInSeconds') ?? 21_600,
  };
  const destinations = resolveProperty(scope, 'DestinationConfig');
  const onFailure = isRecord(destinations) && isRecord(destinations.OnFailure) ? destinations.OnFailure : {};
  const destination = typeof onFailure.Destination === 'string' ? onFailure.Destination : undefined;
  if (destination !== undefined) config.onFailure = await destinationOf(scope, destination);
  if (isRecord(destinations) && destinations.OnSuccess !== undefined) {
    scope.warn(`local cloud: not applied locally: OnSuccess destination (${scope.logicalId})`);
  }
  const id = fakeUuid(scope);
  return { resource: resourceOf(scope, id, { Id: id }), asyncInvokeConfig: config };
}

async function destinationOf(scope: ResourceScope, arn: string): Promise<OnFailureDestination | undefined> {
  const service = arn.split(':')[2];
  if (service === 'sqs') return { type: 'sqs', arn, queueUrl: await queueUrlOf(scope, arn) };
  if (service === 'sns') return { type: 'sns', arn };
  scope.warn(`local cloud: not provided locally: on-failure destination ${arn} (${scope.logicalId})`);
  return undefined;
}
