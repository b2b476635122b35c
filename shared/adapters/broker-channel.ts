import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import { DependencyUnavailableError } from '../core/errors.js';

/**
 * A confirm channel to the broker, opened on first use and kept for the execution environment's later invocations
 * (one AMQP connection per environment, as SDK clients are kept); opened again when the broker closed it. A failure
 * to connect (or to learn the URL: `url` may be read from a secret) is a `DependencyUnavailableError`: the batch
 * fails and the broker delivers it again.
 */
export function brokerChannel(url: string | (() => Promise<string>)): () => Promise<ConfirmChannel> {
  let opening: Promise<{ connection: ChannelModel; channel: ConfirmChannel }> | undefined;
  const open = async () => {
    const connection = await connect(typeof url === 'string' ? url : await url());
    const channel = await connection.createConfirmChannel();
    const forget = () => {
      opening = undefined;
    };
    connection.on('close', forget);
    connection.on('error', forget);
    channel.on('close', forget);
    channel.on('error', forget);
    return { connection, channel };
  };
  return async () => {
    opening ??= open();
    try {
      return (await opening).channel;
    } catch (error) {
      opening = undefined;
      throw new DependencyUnavailableError('the legacy broker (AMQP)', {
        cause: error,
        mayHaveHappened: false,
      });
    }
  };
}
