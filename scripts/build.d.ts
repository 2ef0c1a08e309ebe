/** Builds `dist/` (always, or with `onlyIfStale` only when it does not match `src/`). Resolves with whether it built. */
export function buildDist(options?: { onlyIfStale?: boolean; quiet?: boolean }): Promise<boolean>;
