/**
 * Sizes in configuration: a whole number of bytes, or a number with a unit
 * (`16KiB`, `1MiB`, `8KB`, `512B`). KB and MB are read as 1000 and 1000²,
 * KiB and MiB as 1024 and 1024², as they are written everywhere else.
 */
const UNIT_BYTES: Readonly<Record<string, number>> = { b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1_048_576 };
const SIZE = /^(\d+)\s*(b|kb|kib|mb|mib)?$/iu;

/** Bytes, or null when the value is not a whole size. */
export function parseByteSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = SIZE.exec(value.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * (UNIT_BYTES[(match[2] ?? 'b').toLowerCase()] as number);
  return Number.isSafeInteger(bytes) ? bytes : null;
}
