/** Prometheus text read back: sample name with its labels → value, as the server wrote them. */
export function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    found.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return found;
}

/** The samples whose name (before any `{`) is `name`, as `{labels}` → value. */
export function series(text: string, name: string): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const [key, value] of samples(text)) {
    const brace = key.indexOf('{');
    if ((brace === -1 ? key : key.slice(0, brace)) === name) picked[brace === -1 ? '' : key.slice(brace)] = value;
  }
  return picked;
}
