/**
 * zod, as orderflow uses it: the functional `zod/mini` API (it tree-shakes to about 25 KB of bundle where classic
 * zod brings about 90 KB whatever is used) with zod's English messages. Every module imports zod from here, so the
 * messages are configured before any schema parses.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
