import type { LocalRoute } from '../template/model.js';

/**
 * HTTP API's route selection: which of the template's routes a request goes to. Pure — no request, no server — so
 * the rules read on their own.
 */

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

interface CompiledRoute {
  route: LocalRoute;
  /** `undefined` for `$default`. */
  segments: Segment[] | undefined;
}

/** The route a request goes to, with the values of its path variables. */
export interface RouteMatch {
  route: LocalRoute;
  pathParameters: Record<string, string> | undefined;
}

function compileRoute(route: LocalRoute): CompiledRoute {
  if (route.path === '$default' || route.routeKey === '$default') return { route, segments: undefined };
  const segments = route.path
    .split('/')
    .slice(1)
    .map((part): Segment => {
      const variable = /^\{([^}+]+)(\+?)\}$/.exec(part);
      if (variable === null) return { kind: 'literal', value: part };
      const [, name = '', greedy] = variable;
      return greedy ? { kind: 'greedy', name } : { kind: 'param', name };
    });
  return { route, segments };
}

function matchSegments(pattern: Segment[], path: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of pattern.entries()) {
    if (segment.kind === 'greedy') {
      const rest = path.slice(index).join('/');
      if (rest === '') return undefined;
      parameters[segment.name] = rest;
      return parameters;
    }
    const part = path[index];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal' && segment.value !== part) return undefined;
    if (segment.kind === 'param') {
      if (part === '') return undefined;
      parameters[segment.name] = part;
    }
  }
  return pattern.length === path.length ? parameters : undefined;
}

/** Literal segments beat `{param}`, which beats `{proxy+}`, left to right; then a method beats `ANY`. */
function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const rank = (segment: Segment | undefined) =>
    segment === undefined ? -1 : segment.kind === 'literal' ? 2 : segment.kind === 'param' ? 1 : 0;
  const aSegments = a.segments ?? [];
  const bSegments = b.segments ?? [];
  for (let index = 0; index < Math.max(aSegments.length, bSegments.length); index += 1) {
    const difference = rank(bSegments[index]) - rank(aSegments[index]);
    if (difference !== 0) return difference;
  }
  return Number(a.route.method === 'ANY') - Number(b.route.method === 'ANY');
}

/**
 * Selects the route for a request the way HTTP API does: the most specific route whose method (or `ANY`) and path
 * match — literal segments before path variables before a greedy `{proxy+}` — and `$default` when none does.
 * `path` holds the decoded path segments (`/orders/o-1` → `['orders', 'o-1']`).
 */
export function selectRoute(routes: LocalRoute[], method: string, path: string[]): RouteMatch | undefined {
  const compiled = routes.map(compileRoute);
  const candidates = compiled
    .filter((candidate) => candidate.segments !== undefined)
    .filter((candidate) => candidate.route.method === 'ANY' || candidate.route.method === method)
    .flatMap((candidate) => {
      const parameters = matchSegments(candidate.segments ?? [], path);
      return parameters === undefined ? [] : [{ candidate, parameters }];
    })
    .sort((a, b) => compareSpecificity(a.candidate, b.candidate));
  const best = candidates[0];
  if (best !== undefined) {
    const hasParameters = Object.keys(best.parameters).length > 0;
    return { route: best.candidate.route, pathParameters: hasParameters ? best.parameters : undefined };
  }
  const fallback = compiled.find((candidate) => candidate.segments === undefined);
  return fallback === undefined ? undefined : { route: fallback.route, pathParameters: undefined };
}
