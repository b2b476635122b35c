import 'aws-sdk-client-mock-vitest/extend';
import { tapMetrics } from './emf.js';

// Nothing in the tests may reach AWS: no instance metadata, dummy credentials, a fixed region.
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_DEV ??= 'false';
// The SDK's notice that releases after January 2027 need Node 22: the lockfile pins today's, which run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.ORDERFLOW_STAGE ??= 'test';
// Powertools Metrics' EMF lines are kept for the tests that assert them (test/support/emf.ts), not printed.
tapMetrics();
