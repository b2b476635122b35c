/** Thrown at cold start when the function's environment lacks a variable that serverless.yml should set. */
export class MissingConfigurationError extends Error {
  constructor(readonly missing: readonly string[]) {
    super(
      `Missing environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: serverless.yml sets ` +
        'them for every function; run the handler through `serverless invoke local --stage local` or the local cloud.',
    );
    this.name = 'MissingConfigurationError';
  }
}

/** Reads the named environment variables once, at module scope, and fails fast when one is missing. */
export function readConfig<const K extends string>(
  names: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Readonly<Record<K, string>> {
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0) throw new MissingConfigurationError(missing);
  return Object.fromEntries(names.map((name) => [name, env[name] as string])) as Record<K, string>;
}
