import { CreateStreamCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { arnOf, generateName, resourceOf } from './names.js';
import {
  createUnlessExists,
  optionalNumber,
  optionalText,
  type Provisioned,
  type ResourceScope,
  WAIT,
} from './resource-scope.js';

/** `AWS::Kinesis::Stream`: created in kinesalite. */

export async function provisionStream(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'Name') ?? generateName(scope, { maxLength: 128 });
  // kinesalite has no on-demand mode and no encryption: a stream without ShardCount gets one shard.
  const shardCount = optionalNumber(scope, 'ShardCount') ?? 1;
  const { kinesis } = scope.clients;
  await createUnlessExists(() =>
    kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount })),
  );
  await waitUntilStreamExists({ client: kinesis, ...WAIT }, { StreamName: name });
  // kinesalite's own ARNs name the region of its process environment: the template's region is the one to use.
  return { resource: resourceOf(scope, name, { Arn: arnOf(scope, 'kinesis', `stream/${name}`) }) };
}
