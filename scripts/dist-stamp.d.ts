export const REPO: string;
export const SRC: string;
export const DIST: string;
export const STAMP: string;
export const BUILD_FORMAT: number;
/** `src/`'s files now: relative path → [size, mtimeMs]. */
export function sourceState(): Record<string, [number, number]>;
/** Why `dist/` may not run, or null when it is current. */
export function staleReason(): string | null;
