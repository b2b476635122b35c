/**
 * `npm run -s token -- --sub <customerId> [--scope orders/admin] [--expires-in SECONDS]`: prints a token the local
 * cloud's HTTP API accepts, e.g. `curl -H "Authorization: Bearer $(npm run -s token -- --sub cust_42)" ...`.
 * It reads the issuer and audience from the package `npm start` wrote (and packages the stack first when there is
 * none yet), and signs with the checkout's key in `.local-cloud/` (made on first use).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateSigningKey } from './auth/signing-key.js';
import { consoleIo } from './commands/command.js';
import { tokenCommand } from './commands/token-command.js';
import { NPM_START_PACKAGE_DIR, packageStack } from './package-stack.js';
import { loadPackagedStack, TEMPLATE_FILE, theJwtAuthorizer } from './template/packaged-stack.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await tokenCommand(
  process.argv.slice(2),
  {
    authorizer: async () => {
      if (!existsSync(join(NPM_START_PACKAGE_DIR, TEMPLATE_FILE))) {
        consoleIo.err('token: no package yet; packaging the stack (serverless package --stage local) ...');
        await packageStack({ stage: 'local', outputDir: NPM_START_PACKAGE_DIR });
      }
      return theJwtAuthorizer(await loadPackagedStack(NPM_START_PACKAGE_DIR));
    },
    signingKey: () => loadOrCreateSigningKey(),
  },
  consoleIo,
);
