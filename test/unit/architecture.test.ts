import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layers of `shared/`, enforced: the core is pure (it imports only itself and zod), adapters implement ports
 * and never reach into a use case, use cases drive ports and never name an adapter or Lambda's event types.
 */
const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));

interface Violation {
  file: string;
  imports: string;
  rule: string;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The modules a source file imports: project files as repo paths (`shared/core/order.ts`), packages as named. */
function importsOf(file: string, source: string): string[] {
  return [...source.matchAll(IMPORT)].map((match) => {
    const specifier = match[1] ?? match[2] ?? '';
    if (!specifier.startsWith('.')) return specifier;
    return normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts');
  });
}

/** Which imports of `files` (repo path → source) break the layering. */
function layerViolations(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, source] of files) {
    for (const imported of importsOf(file, source)) {
      const isProjectFile = imported.startsWith('shared/') || imported.startsWith('functions/');
      if (file.startsWith('shared/core/')) {
        const allowed = imported.startsWith('shared/core/') || /^zod(\/|$)/.test(imported);
        if (!allowed)
          violations.push({ file, imports: imported, rule: 'the core imports only itself and zod' });
      }
      if (file.startsWith('shared/adapters/') && imported.startsWith('shared/app/')) {
        violations.push({ file, imports: imported, rule: 'an adapter imports no use case' });
      }
      if (file.startsWith('shared/app/')) {
        if (isProjectFile && imported.startsWith('shared/adapters/')) {
          violations.push({ file, imports: imported, rule: 'a use case imports no adapter' });
        }
        if (imported === 'aws-lambda') {
          violations.push({ file, imports: imported, rule: "a use case names none of Lambda's event types" });
        }
      }
    }
  }
  return violations;
}

function sourcesUnder(folder: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = relative(ROOT, join(entry.parentPath, entry.name));
    files.set(path, readFileSync(join(ROOT, path), 'utf8'));
  }
  return files;
}

describe('the entry points', () => {
  it('each reach their use case in one hop, by the same name (functions/X.ts → shared/app/X.ts)', () => {
    // Prepare
    const handlers = [...sourcesUnder('functions')];

    // Act
    const missing = handlers
      .filter(
        ([file, source]) => !importsOf(file, source).includes(file.replace(/^functions\//, 'shared/app/')),
      )
      .map(([file]) => file);

    // Assess
    expect(handlers.length).toBeGreaterThan(8);
    expect(missing).toEqual([]);
  });
});

describe('the layers of shared/', () => {
  it('hold in the source tree', () => {
    // Act
    const violations = layerViolations(sourcesUnder('shared'));

    // Assess
    expect(sourcesUnder('shared/app').size).toBeGreaterThan(8);
    expect(violations).toEqual([]);
  });

  it.each([
    [
      'shared/core/order.ts',
      "import { createOrderStore } from '../adapters/order-store.js';",
      'the core imports only itself and zod',
    ],
    [
      'shared/core/order.ts',
      "import type { Order } from '../app/order-commands.js';",
      'the core imports only itself and zod',
    ],
    [
      'shared/core/order.ts',
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
      'the core imports only itself and zod',
    ],
    [
      'shared/adapters/order-store.ts',
      "import { runOrderCommand } from '../app/order-commands.js';",
      'an adapter imports no use case',
    ],
    [
      'shared/app/process-order.ts',
      "import { createProgressStore } from '../adapters/progress-store.js';",
      'a use case imports no adapter',
    ],
    [
      'shared/app/replay.ts',
      "import type { SQSRecord } from 'aws-lambda';",
      "a use case names none of Lambda's event types",
    ],
  ])('refuses %s importing `%s`', (file, line, rule) => {
    // Act
    const violations = layerViolations(new Map([[file, `${line}\nexport const x = 1;\n`]]));

    // Assess
    expect(violations).toEqual([expect.objectContaining({ file, rule })]);
  });

  it('lets the core import itself and zod, and a use case import the core and the edge', () => {
    // Prepare
    const files = new Map([
      ['shared/core/order.ts', "import { x } from './money.js';\nimport * as z from 'zod/mini';"],
      [
        'shared/app/replay.ts',
        "import type { ReplayPorts } from '../core/ports.js';\nimport { y } from '../queue/activity-record.js';",
      ],
    ]);

    // Act
    const violations = layerViolations(files);

    // Assess
    expect(violations).toEqual([]);
  });
});
