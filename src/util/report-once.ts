/**
 * Calls `report` the first time each value is seen (as told apart by
 * `keyOf`), so a bad entry stored in Vault is logged once rather than on
 * every request. Bounded: after `limit` distinct keys, the memory is cleared
 * rather than grown.
 */
export function onceEach<T>(report: (value: T) => void, keyOf: (value: T) => unknown = (value) => value, limit = 1000): (value: T) => void {
  const seen = new Set<unknown>();
  return (value) => {
    const key = keyOf(value);
    if (seen.has(key)) return;
    if (seen.size >= limit) seen.clear();
    seen.add(key);
    report(value);
  };
}
