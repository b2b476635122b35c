import type { IoTDataPlaneClient, PublishCommandInput } from '@aws-sdk/client-iot-data-plane';
import { PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/**
 * Reading back what the clients mocked with aws-sdk-client-mock received: command names, the order of calls across
 * several clients, and the messages published to IoT Core.
 */

/** A command's class name without `Command`: `Get`, `PutRecords`, `Publish`. */
export function commandName(command: unknown): string {
  const name = typeof command === 'object' && command !== null ? command.constructor.name : 'unknown';
  return name.replace(/Command$/, '');
}

/** A call recorded by a client mock: it knows whether it was sent before another one. */
interface RecordedCall {
  calledBefore(other: RecordedCall): boolean;
}

/** The labels of calls recorded by any of the client mocks, in the order the calls were sent. */
export function inCallOrder(calls: ReadonlyArray<{ label: string; call: RecordedCall }>): string[] {
  return [...calls].sort((a, b) => (a.call.calledBefore(b.call) ? -1 : 1)).map(({ label }) => label);
}

/** The PublishCommands an IoT data-plane client sent, in order: topic, QoS and the JSON payload parsed. */
export function iotPublishes(
  iotData: AwsClientStub<IoTDataPlaneClient>,
): Array<{ topic: string | undefined; qos: number | undefined; payload: unknown }> {
  return iotData.commandCalls(PublishCommand).map((call) => {
    const input: PublishCommandInput = call.args[0].input;
    if (!(input.payload instanceof Uint8Array)) throw new Error('Expected the payload as bytes');
    return {
      topic: input.topic,
      qos: input.qos,
      payload: JSON.parse(Buffer.from(input.payload).toString('utf8')),
    };
  });
}
