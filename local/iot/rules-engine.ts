import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import type { LocalTopicRule, TopicRuleAction } from '../template/model.js';
import { evaluateTopicRule, parseTopicRuleSql, type TopicRuleQuery } from './iot-sql.js';

export interface RulesEngineOptions {
  broker: Aedes;
  rules: readonly LocalTopicRule[];
  /** Lambda's asynchronous invoke (what a rule's Lambda action does). */
  invokeAsync(functionName: string, event: unknown): unknown;
  sqs: Pick<SQSClient, 'send'>;
  now?: () => number;
  log?: (line: string) => void;
}

export interface RulesEngineStats {
  /** Messages that fired each rule, by rule name. */
  fired: Record<string, number>;
  /** Actions that failed (and went to the rule's error action, if it has one). */
  failedActions: number;
}

export interface RulesEngine {
  stats(): RulesEngineStats;
  stop(): void;
}

/**
 * IoT Core's rules engine on the local MQTT broker: every message published to it — by an MQTT client over TCP or
 * WebSocket, or through the data-plane shim — is matched against each enabled rule's `FROM` filter and `WHERE`
 * condition, and the `SELECT` output goes to the rule's actions: a Lambda function invoked asynchronously, or an SQS
 * queue (as JSON, or base64 with `UseBase64`). When an action fails, the rule's error action receives IoT's error
 * message (`ruleName`, `topic`, `clientId`, `base64OriginalPayload`, `failures`). Topics starting with `$` are never
 * matched, as on AWS.
 */
export function startRulesEngine(options: RulesEngineOptions): RulesEngine {
  const { broker, sqs, now = Date.now, log = (line: string) => console.error(line) } = options;
  const rules = options.rules
    .filter((rule) => rule.enabled)
    .map((rule) => ({ rule, query: parseTopicRuleSql(rule.sql) as TopicRuleQuery }));
  const stats: RulesEngineStats = { fired: {}, failedActions: 0 };

  const perform = async (action: TopicRuleAction, output: Record<string, unknown>) => {
    if (action.kind === 'lambda') {
      options.invokeAsync(action.functionName, output);
      return;
    }
    const body = JSON.stringify(output);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: action.queueUrl,
        MessageBody: action.useBase64 ? Buffer.from(body).toString('base64') : body,
      }),
    );
  };

  const onPublish = (packet: AedesPublishPacket, client: Client | null) => {
    if (packet.topic.startsWith('$')) return;
    for (const { rule, query } of rules) {
      let output: Record<string, unknown> | undefined;
      try {
        output = evaluateTopicRule(
          query,
          { topic: packet.topic, payload: packet.payload as Buffer, clientId: client?.id },
          { now },
        );
      } catch (error) {
        log(`rules engine: ${rule.name} could not evaluate a message on ${packet.topic}: ${error}`);
        continue;
      }
      if (output === undefined) continue;
      stats.fired[rule.name] = (stats.fired[rule.name] ?? 0) + 1;
      for (const action of rule.actions) {
        perform(action, output).catch(async (error: unknown) => {
          stats.failedActions += 1;
          log(`rules engine: ${rule.name}: ${action.kind} action failed: ${error}`);
          if (rule.errorAction === undefined) return;
          const failure = {
            ruleName: rule.name,
            topic: packet.topic,
            cloudwatchTraceId: crypto.randomUUID(),
            clientId: client?.id ?? 'n/a',
            base64OriginalPayload: Buffer.from(packet.payload as Buffer).toString('base64'),
            failures: [
              {
                failedAction: action.kind === 'lambda' ? 'LambdaAction' : 'SqsAction',
                failedResource: action.kind === 'lambda' ? action.functionArn : action.queueUrl,
                errorMessage: error instanceof Error ? error.message : String(error),
              },
            ],
          };
          await perform(rule.errorAction, failure).catch((errorActionError: unknown) =>
            log(`rules engine: ${rule.name}: its error action failed too: ${errorActionError}`),
          );
        });
      }
    }
  };

  broker.on('publish', onPublish);
  return {
    stats: () => structuredClone(stats),
    stop: () => {
      broker.removeListener('publish', onPublish);
    },
  };
}
