/**
 * Calls `report` the first time each value is seen, so a bad entry stored in
 * Vault is logged once rather than on every request. Bounded: after `limit`
 * distinct values, the memory is cleared rather than grown.
 */
export function onceEach<T>(report: (value: T) => void, limit = 1000): (value: T) => void {
  const seen = new Set<T>();
  return (value) => {
    if (seen.has(value)) return;
    if (seen.size >= limit) seen.clear();
    seen.add(value);
    report(value);
  };
}
