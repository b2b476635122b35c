// One Lambda execution environment: a worker thread with its own module cache and environment. Plain ESM
// JavaScript because it starts without a TypeScript loader. It loads the handler the way the Node.js runtime
// interface client (aws-lambda-nodejs-runtime-interface-client) does, then runs the invocations it is sent.
//
// Messages in:  { type: 'invoke', awsRequestId, invokedFunctionArn, deadlineMs, event (JSON text) }
// Messages out: { type: 'ready' } | { type: 'init-error', errorType, errorMessage }
//               | { type: 'result', awsRequestId, payload (JSON text) }
//               | { type: 'error', awsRequestId, errorType, errorMessage }
//               | { type: 'crash', errorType, errorMessage } (then the thread exits, like the runtime process)
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { types } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';

/** @typedef {{ errorType: string, errorMessage: string }} ErrorReport */
/** @typedef {(event: unknown, context: object, callback: (error?: unknown, result?: unknown) => void) => unknown} Handler */

const port = parentPort;
if (port === null) throw new Error('lambda-worker.js runs in a worker thread');

/** An error of the runtime itself, named like the runtime's own (`Runtime.HandlerNotFound`, ...). */
class RuntimeError extends Error {
  /** @param {string} type @param {string} message */
  constructor(type, message) {
    super(message);
    this.name = `Runtime.${type}`;
  }
}

/**
 * What the runtime reports for a thrown value: `name`/`message` of an error, `typeof`/`toString()` of anything else.
 * @param {unknown} error
 * @returns {ErrorReport}
 */
function toReport(error) {
  try {
    if (types.isNativeError(error) || isErrorLike(error)) {
      const { name, message } = /** @type {Error} */ (error);
      return { errorType: name, errorMessage: message };
    }
    return { errorType: typeof error, errorMessage: String(error) };
  } catch {
    return { errorType: 'handled', errorMessage: 'there was a problem while retrieving the error' };
  }
}

/** @param {unknown} value */
function isErrorLike(value) {
  if (typeof value !== 'object' || value === null) return false;
  const { name, message, stack } = /** @type {Record<string, unknown>} */ (value);
  return typeof name === 'string' && typeof message === 'string' && typeof stack === 'string';
}

/** @param {string} file */
function isFile(file) {
  return existsSync(file) && statSync(file).isFile();
}

/**
 * Imports `<taskRoot>/<moduleRoot>/<module>` trying the runtime's extensions in its order.
 * @param {string} path the module path without extension
 * @param {string} moduleName
 */
async function importUserModule(path, moduleName) {
  for (const extension of ['', '.js', '.mjs', '.cjs']) {
    if (isFile(path + extension)) return import(pathToFileURL(path + extension).href);
  }
  const error = new Error(`Cannot find module '${moduleName}'`);
  Object.assign(error, { code: 'MODULE_NOT_FOUND' });
  throw error;
}

/**
 * Loads the handler named by `functions/create-order.handler`: module path up to the first dot of the last path
 * segment, then the (possibly nested) export.
 * @param {string} taskRoot
 * @param {string} fullHandler
 * @returns {Promise<Handler>}
 */
async function loadHandler(taskRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new RuntimeError(
      'MalformedHandlerName',
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const moduleAndHandler = basename(fullHandler);
  const moduleRoot = fullHandler.slice(0, fullHandler.lastIndexOf(moduleAndHandler));
  const match = /^([^.]*)\.(.*)$/.exec(moduleAndHandler);
  if (match === null) throw new RuntimeError('MalformedHandlerName', 'Bad handler');
  const [, moduleName = '', handlerPath = ''] = match;
  /** @type {unknown} */
  let userModule;
  try {
    userModule = await importUserModule(resolve(taskRoot, moduleRoot, moduleName), moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) throw new RuntimeError('UserCodeSyntaxError', String(error));
    if (/** @type {{ code?: unknown }} */ (error)?.code === 'MODULE_NOT_FOUND') {
      throw new RuntimeError('ImportModuleError', String(error));
    }
    throw error;
  }
  const handler = handlerPath
    .split('.')
    .reduce(
      (value, key) => (value ? /** @type {Record<string, unknown>} */ (value)[key] : value),
      userModule,
    );
  if (!handler) throw new RuntimeError('HandlerNotFound', `${fullHandler} is undefined or not exported`);
  if (typeof handler !== 'function')
    throw new RuntimeError('HandlerNotFound', `${fullHandler} is not a function`);
  return /** @type {Handler} */ (handler);
}

/**
 * Runs one invocation: a promise-returning handler settles it with its promise; a callback-style handler (three
 * parameters) with its callback; a synchronous handler that returns without calling back succeeds with `null`.
 * The first of callback/done/succeed/fail/returned promise wins, as in the runtime.
 * @param {Handler} handler
 * @param {{ awsRequestId: string, invokedFunctionArn: string, deadlineMs: number, event: string }} message
 */
function runInvocation(handler, { awsRequestId, invokedFunctionArn, deadlineMs, event }) {
  let settled = false;
  /** @param {unknown} result */
  const succeed = (result) => {
    if (settled) return;
    settled = true;
    let payload;
    try {
      payload = JSON.stringify(result === undefined ? null : result);
    } catch {
      port.postMessage({
        type: 'error',
        awsRequestId,
        ...toReport(new Error('Unable to stringify response body')),
      });
      return;
    }
    port.postMessage({ type: 'result', awsRequestId, payload });
  };
  /** @param {unknown} error */
  const fail = (error) => {
    if (settled) return;
    settled = true;
    port.postMessage({ type: 'error', awsRequestId, ...toReport(error ?? 'handled') });
  };
  /** @type {(error?: unknown, result?: unknown) => void} */
  const callback = (error, result) => (error === undefined || error === null ? succeed(result) : fail(error));
  let waitsForEmptyEventLoop = true;
  const env = process.env;
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitsForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitsForEmptyEventLoop = value;
    },
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: undefined,
    identity: undefined,
    invokedFunctionArn,
    awsRequestId,
    getRemainingTimeInMillis: () => deadlineMs - Date.now(),
    done: callback,
    succeed,
    fail,
  };
  try {
    const returned = handler(JSON.parse(event), context, callback);
    if (isThenable(returned)) {
      Promise.resolve(returned).then(succeed, fail);
    } else if (handler.length < 3) {
      succeed(null);
    }
  } catch (error) {
    fail(error);
  }
}

/** @param {unknown} value @returns {value is PromiseLike<unknown>} */
function isThenable(value) {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (/** @type {{ then?: unknown }} */ (value).then) === 'function'
  );
}

/** @param {ErrorReport} report @param {number} exitCode */
function crash(report, exitCode) {
  port.postMessage({ type: 'crash', ...report });
  process.exit(exitCode);
}

process.on('uncaughtException', (error) => crash(toReport(error), 129));
process.on('unhandledRejection', (reason) =>
  crash(toReport(new RuntimeError('UnhandledPromiseRejection', String(reason))), 128),
);

const { taskRoot, handler: handlerName } = /** @type {{ taskRoot: string, handler: string }} */ (workerData);
try {
  const handler = await loadHandler(taskRoot, handlerName);
  port.on('message', (message) => runInvocation(handler, message));
  port.postMessage({ type: 'ready' });
} catch (error) {
  port.postMessage({ type: 'init-error', ...toReport(error) });
}
