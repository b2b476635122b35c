import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { unzipSync } from 'fflate';

/**
 * Extracts a packaged function (the zip `serverless package` writes) into `targetDir`, the way Lambda unpacks a
 * deployment package into `/var/task`: whatever was there before is removed first, so a stale file from an older
 * package can never be imported. Entries that would land outside `targetDir` (`../`, absolute paths) are refused.
 * Returns the absolute path of the extracted directory (the function's `LAMBDA_TASK_ROOT`).
 */
export async function extractArtifact(zipPath: string, targetDir: string): Promise<string> {
  const root = resolve(targetDir);
  const entries = unzipSync(new Uint8Array(await readFile(zipPath)));
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  for (const [name, data] of Object.entries(entries)) {
    const target = entryPath(root, name, zipPath);
    if (name.endsWith('/')) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data);
  }
  return root;
}

function entryPath(root: string, name: string, zipPath: string): string {
  const target = resolve(root, name);
  if (target !== root && !target.startsWith(`${root}${sep}`)) {
    throw new Error(`${zipPath}: the entry '${name}' would be extracted outside ${root}`);
  }
  return target;
}
