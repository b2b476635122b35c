import type { PipelineStatus } from '../pipeline-status.js';

/** One line of live figures from `/_local/pipeline`. */
export function figuresLine(status: PipelineStatus): string {
  const queues = status.queues
    .filter((queue) => queue.role === 'queue')
    .map((queue) => `${queue.name} in flight ${queue.inFlight}`)
    .join(', ');
  const dlqDepth = status.queues
    .filter((queue) => queue.role !== 'queue')
    .reduce((sum, queue) => sum + queue.visible + queue.inFlight, 0);
  const { httpAccepted, published, notifications } = status.counters;
  return `  · HTTP accepted ${httpAccepted}, published ${published}, stream records ${status.stream.records}, notifications ${notifications}; ${queues}; DLQs/failures hold ${dlqDepth}`;
}
