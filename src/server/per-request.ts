const scoped = new WeakMap<object, Map<unknown, unknown>>();

/**
 * One instance per request of whatever `make` builds (DataLoaders above all), kept with the
 * request's context so that libraries need no field of their own on it.
 */
export function perRequest<C extends object, T>(context: C, make: (context: C) => T): T {
  let cache = scoped.get(context);
  if (!cache) scoped.set(context, (cache = new Map()));
  if (!cache.has(make)) cache.set(make, make(context));
  return cache.get(make) as T;
}
