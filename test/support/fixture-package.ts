import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STATE_FILE, TEMPLATE_FILE } from '../../local/template/packaged-stack.js';

/** The region of the fixture package's stage `test`. */
export const FIXTURE_REGION = 'eu-west-1';

/** A `serverless package` template of orderflow, trimmed, with names of stage `test` (test/local/fixtures/). */
export const FIXTURE_TEMPLATE = fileURLToPath(
  new URL('../local/fixtures/stack-template.json', import.meta.url),
);

/**
 * A package directory as `serverless package --package <dir>` leaves it, holding the fixture template; `state`
 * adds to (or overrides) the `provider` block of its `serverless-state.json`. The caller removes it.
 */
export async function writePackageDir(state: Record<string, unknown> = {}): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'orderflow-provisioning-'));
  await copyFile(FIXTURE_TEMPLATE, join(directory, TEMPLATE_FILE));
  const provider = { name: 'aws', region: FIXTURE_REGION, stage: 'test', ...state };
  await writeFile(
    join(directory, STATE_FILE),
    JSON.stringify({ service: { service: 'orderflow', provider } }),
  );
  return directory;
}
