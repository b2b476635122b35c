import type { FieldIssue } from './errors.js';
import type * as z from './zod.js';

type PathSegment = PropertyKey;

/** `['items', 0, 'sku']` → `items[0].sku` (what a person reads) */
export function toFieldName(path: readonly PathSegment[]): string {
  let name = '';
  for (const segment of path) {
    if (typeof segment === 'number') name += `[${segment}]`;
    else name += name === '' ? String(segment) : `.${String(segment)}`;
  }
  return name === '' ? 'body' : name;
}

/** `['items', 0, 'sku']` → `#/items/0/sku` (RFC 6901, what a program reads) */
export function toJsonPointer(path: readonly PathSegment[]): string {
  return `#${path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')}`;
}

/** One issue per bad field; an unknown-field issue names each unknown field on its own. */
export function toFieldIssues(error: z.core.$ZodError): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        return { field: toFieldName(path), pointer: toJsonPointer(path), detail: 'is not a known field' };
      });
    }
    return [{ field: toFieldName(issue.path), pointer: toJsonPointer(issue.path), detail: issue.message }];
  });
}
