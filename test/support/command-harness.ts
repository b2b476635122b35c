import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { CommandIo } from '../../local/commands/command.js';
import type { LocalTarget } from '../../local/commands/local-target.js';

/**
 * A local cloud for a command, made of plain SDK clients: aws-sdk-client-mock mocks their classes, so a test answers
 * every call the command makes.
 */
export function mockedLocalTarget(names: Pick<LocalTarget, 'functions' | 'queueNames'>): LocalTarget {
  const region = 'eu-west-1';
  return {
    region,
    accountId: '000000000000',
    ...names,
    clients: {
      sqs: new SQSClient({ region }),
      dynamodb: new DynamoDBClient({ region }),
      kinesis: new KinesisClient({ region }),
      lambda: new LambdaClient({ region }),
    },
    close: () => {},
  };
}

/** A command's output, kept: what it printed to stdout and to stderr. */
export function capturedIo(): CommandIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
}
