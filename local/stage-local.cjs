// Values for the `local` stage of serverless.yml that must be absolute paths: `serverless invoke local` runs the
// bundle from .esbuild/.build, so a relative path would not resolve there.
const path = require('node:path');

module.exports = {
  credentialsFile: path.join(__dirname, 'credentials'),
};
