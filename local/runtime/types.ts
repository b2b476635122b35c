/** How one invocation of a function ended, as Lambda reports it to an event source. */
export type InvokeOutcome =
  | { status: 'ok'; result: unknown }
  | { status: 'error'; errorType: string; errorMessage: string };

/** Invokes one function with an event (what a poller or the HTTP router holds for its target). */
export type Invoke = (event: unknown) => Promise<InvokeOutcome>;

/** Invokes a function by name (what the HTTP API and the Lambda Invoke API hold: the runtime's `invoke`). */
export type InvokeFunction = (functionName: string, event: unknown) => Promise<InvokeOutcome>;
