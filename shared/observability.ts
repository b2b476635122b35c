import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per function (module scope); `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_LOG_LEVEL` configure it. */
export const logger = new Logger({ serviceName: 'orderflow' });
