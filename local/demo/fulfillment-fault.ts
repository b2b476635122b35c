import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { CommandIo } from '../commands/command.js';
import type { LocalTarget } from '../commands/local-target.js';

/** processOrder fails every event of the customer this variable names (read at cold start). */
export const FAULT_SWITCH = 'ORDERFLOW_FAULT_CUSTOMER_ID';

/** What the poison step reads of the stack before it changes anything. */
interface FulfillmentStack {
  functionName: string;
  queueName: string;
  dlqName: string;
  queueUrl: string;
  dlqUrl: string;
  originalVisibility: string;
  maxReceiveCount: number;
  originalVariables: Record<string, string>;
}

/**
 * The poison step's changes to a local cloud, made through its AWS APIs as an operator would make them: the bad
 * release is an UpdateFunctionConfiguration of processOrder (`ORDERFLOW_FAULT_CUSTOMER_ID`), the fulfillment
 * queue's visibility timeout is lowered with SetQueueAttributes, and both are put back as they were whatever happens.
 */
export class FulfillmentFault {
  private functionRestored = false;
  private visibilityChanged = false;
  /** Puts back what the step changed and is not back yet; once, whoever asks first (the step's end, or Ctrl-C). */
  private restoring: Promise<void> | undefined;

  private constructor(
    private readonly target: LocalTarget,
    private readonly io: CommandIo,
    readonly stack: FulfillmentStack,
  ) {}

  /** The fault for the stack's processOrder and fulfillment queue; `undefined` when the stack has none. */
  static async of(target: LocalTarget, io: CommandIo): Promise<FulfillmentFault | undefined> {
    const stack = await readFulfillmentStack(target);
    return stack === undefined ? undefined : new FulfillmentFault(target, io, stack);
  }

  /** Runs `body` and puts everything back after it, or on Ctrl-C before the demo ends (exit 130). */
  async whileChanged<T>(body: () => Promise<T>): Promise<T> {
    const interrupted = () => {
      void this.restore().finally(() => process.exit(130));
    };
    process.once('SIGINT', interrupted);
    try {
      return await body();
    } finally {
      process.removeListener('SIGINT', interrupted);
      await this.restore();
    }
  }

  async lowerVisibility(seconds: number): Promise<void> {
    this.visibilityChanged = true;
    await this.setVisibility(String(seconds));
  }

  /** The bad release: processOrder fails every event of `customer`. */
  async releaseBad(customer: string): Promise<void> {
    await this.configure({ ...this.stack.originalVariables, [FAULT_SWITCH]: customer });
  }

  /** The fix: processOrder's configuration as it was. */
  async shipFix(): Promise<void> {
    await this.configure(this.stack.originalVariables);
    this.functionRestored = true;
  }

  /** Messages in the DLQ, visible or in flight. */
  async dlqDepth(): Promise<number> {
    const { Attributes = {} } = await this.target.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.stack.dlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  private restore(): Promise<void> {
    this.restoring ??= this.putBack();
    return this.restoring;
  }

  private async putBack(): Promise<void> {
    const { functionName, queueName, originalVisibility, originalVariables } = this.stack;
    const restored: string[] = [];
    if (!this.functionRestored) {
      await this.configure(originalVariables).then(
        () => restored.push(`${functionName}'s configuration`),
        (error: unknown) => this.io.err(`demo: could not restore ${functionName}'s configuration: ${error}`),
      );
    }
    if (this.visibilityChanged) {
      await this.setVisibility(originalVisibility).then(
        () => restored.push(`${queueName}'s visibility timeout (${originalVisibility} s)`),
        (error: unknown) =>
          this.io.err(`demo: could not restore ${queueName}'s visibility timeout: ${error}`),
      );
    }
    if (restored.length > 0) this.io.out(`  put back: ${restored.join(', ')}`);
  }

  private configure(variables: Record<string, string>) {
    return this.target.clients.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: this.stack.functionName,
        Environment: { Variables: variables },
      }),
    );
  }

  private setVisibility(seconds: string) {
    return this.target.clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: this.stack.queueUrl,
        Attributes: { VisibilityTimeout: seconds },
      }),
    );
  }
}

async function readFulfillmentStack(target: LocalTarget): Promise<FulfillmentStack | undefined> {
  const { sqs, lambda } = target.clients;
  const functionName = target.functions.find((fn) => fn.name.endsWith('-processOrder'))?.name;
  const redriveEnvironment = target.functions.find((fn) => fn.name.endsWith('-redriveDlq'))?.environment;
  const queueName = redriveEnvironment?.FULFILLMENT_QUEUE_NAME;
  const dlqName = redriveEnvironment?.FULFILLMENT_DLQ_NAME;
  if (functionName === undefined || queueName === undefined || dlqName === undefined) return undefined;
  const urlOf = async (name: string) => {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (QueueUrl === undefined) throw new Error(`no queue ${name}`);
    return QueueUrl;
  };
  const queueUrl = await urlOf(queueName);
  const dlqUrl = await urlOf(dlqName);
  const { Attributes: queueAttributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
    }),
  );
  const original = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  return {
    functionName,
    queueName,
    dlqName,
    queueUrl,
    dlqUrl,
    originalVisibility: queueAttributes.VisibilityTimeout ?? '30',
    maxReceiveCount: redrivePolicyOf(queueAttributes.RedrivePolicy)?.maxReceiveCount ?? 5,
    originalVariables: { ...original.Environment?.Variables },
  };
}

function redrivePolicyOf(text: string | undefined): { maxReceiveCount?: number } | undefined {
  if (text === undefined) return undefined;
  try {
    const { maxReceiveCount } = JSON.parse(text) as { maxReceiveCount?: unknown };
    return maxReceiveCount === undefined ? {} : { maxReceiveCount: Number(maxReceiveCount) };
  } catch {
    return undefined;
  }
}
