import { provisionBroker, provisionBrokerDefinitions } from './amazon-mq.js';
import {
  nameApi,
  nameStage,
  provisionAuthorizer,
  provisionIntegration,
  provisionRoute,
} from './api-gateway.js';
import { provisionTable } from './dynamodb.js';
import { provisionEventSourceMapping } from './event-source-mapping.js';
import { provisionEventInvokeConfig, provisionTopicRule } from './iot.js';
import { provisionStream } from './kinesis.js';
import { nameVersion, provisionFunction } from './lambda.js';
import {
  nameAlias,
  nameBucket,
  nameKey,
  nameLogGroup,
  nameRole,
  nameRouteTable,
  nameSecurityGroup,
  nameSubnet,
  nameVpc,
  nameVpcEndpoint,
  nameWithId,
} from './named-only.js';
import type { Provisioner } from './resource-scope.js';
import { provisionSecret } from './secrets-manager.js';
import { provisionSubscription, provisionTopic } from './sns.js';
import { provisionQueue } from './sqs.js';

/**
 * How each CloudFormation resource type becomes local: a provisioner per type creates it in its emulator (or only
 * names it, for types with no local behaviour) and says what `Ref` and `Fn::GetAtt` resolve to.
 */

/** Every type the local cloud knows, with what it does locally. Any other type gets a placeholder and a warning. */
export const PROVISIONERS: Readonly<Record<string, Provisioner>> = {
  'AWS::DynamoDB::Table': provisionTable,
  'AWS::SNS::Topic': provisionTopic,
  'AWS::SQS::Queue': provisionQueue,
  'AWS::SNS::Subscription': provisionSubscription,
  'AWS::Kinesis::Stream': provisionStream,
  'AWS::Lambda::Function': provisionFunction,
  'AWS::Lambda::EventSourceMapping': provisionEventSourceMapping,
  'AWS::SecretsManager::Secret': provisionSecret,
  'AWS::AmazonMQ::Broker': provisionBroker,
  'Custom::BrokerDefinitions': provisionBrokerDefinitions,
  'AWS::IoT::TopicRule': provisionTopicRule,
  'AWS::Lambda::EventInvokeConfig': provisionEventInvokeConfig,
  'AWS::ApiGatewayV2::Integration': provisionIntegration,
  'AWS::ApiGatewayV2::Route': provisionRoute,
  'AWS::ApiGatewayV2::Authorizer': provisionAuthorizer,
  'AWS::ApiGatewayV2::Api': nameApi,
  'AWS::ApiGatewayV2::Stage': nameStage,
  'AWS::IAM::Role': nameRole,
  'AWS::IAM::Policy': nameWithId,
  'AWS::Logs::LogGroup': nameLogGroup,
  'AWS::Lambda::Permission': nameWithId,
  'AWS::Lambda::Version': nameVersion,
  'AWS::KMS::Key': nameKey,
  'AWS::KMS::Alias': nameAlias,
  'AWS::S3::Bucket': nameBucket,
  'AWS::S3::BucketPolicy': nameWithId,
  // No IAM locally: queue and topic policies have nothing to do.
  'AWS::SQS::QueuePolicy': nameWithId,
  'AWS::SNS::TopicPolicy': nameWithId,
  // No network isolation locally: the ERP bridge's VPC pieces are named, so that references to them resolve.
  'AWS::EC2::VPC': nameVpc,
  'AWS::EC2::Subnet': nameSubnet,
  'AWS::EC2::SecurityGroup': nameSecurityGroup,
  'AWS::EC2::SecurityGroupIngress': nameWithId,
  'AWS::EC2::SecurityGroupEgress': nameWithId,
  'AWS::EC2::RouteTable': nameRouteTable,
  'AWS::EC2::SubnetRouteTableAssociation': nameWithId,
  'AWS::EC2::VPCEndpoint': nameVpcEndpoint,
};
