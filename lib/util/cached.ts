/**
 * `load`'s value, loaded again once it is `maxAgeMs` old, so a rotated secret takes effect
 * within that time and not only at a cold start. Concurrent callers share one load; a failed
 * reload keeps serving the value it had (a throttled parameter store must not stop the function),
 * and a failed first load is forgotten so the next call tries again.
 */
export function cachedFor<T>(maxAgeMs: number, load: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let value: { data: T; loadedAt: number } | undefined;
  let pending: Promise<T> | undefined;
  return () => {
    if (value && now() - value.loadedAt < maxAgeMs) return Promise.resolve(value.data);
    pending ??= load()
      .then((data) => {
        value = { data, loadedAt: now() };
        return data;
      })
      .catch((error: unknown) => {
        if (value) return value.data;
        throw error;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
