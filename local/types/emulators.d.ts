// Minimal typings for the two CJS emulators (neither ships .d.ts; dynalite only has JSDoc).
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string; // LevelDB dir; omit → in-memory (memory-level)
    createTableMs?: number; // default 500
    deleteTableMs?: number; // default 500
    updateTableMs?: number; // default 500
    maxItemSizeKb?: number; // default 400
    ssl?: boolean;
    verbose?: boolean;
    debug?: boolean;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    path?: string; // LevelDB dir; omit → in-memory (memdown)
    createStreamMs?: number; // default 500
    deleteStreamMs?: number; // default 500
    updateStreamMs?: number; // default 500
    shardLimit?: number; // default 10
    ssl?: boolean;
  }
  function kinesalite(options?: KinesaliteOptions): Server;
  export default kinesalite;
}
