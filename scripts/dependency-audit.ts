/**
 * The supply-chain checks of CI, as pure functions over the files they read
 * (the lockfile, `npm audit --json`'s answer, package.json and the README),
 * so each rule is unit-tested without a network.
 *
 * Why more than `npm audit`: an advisory database only knows what was
 * reported. The lockfile rules hold whatever the database says: every package
 * pinned by a sha512 digest, fetched from the npm registry only (no git, no
 * tarball URLs that can change under the same version), and no install
 * script in a production dependency (native modules ship their binaries in
 * registry packages; a script that downloads one fails on a clean machine and
 * runs code from elsewhere at install time).
 */

export const REGISTRY = 'https://registry.npmjs.org/';
/** npm audit severities that fail CI. */
export const FAILING_SEVERITIES: readonly string[] = ['high', 'critical'];

interface LockPackage {
  readonly resolved?: string;
  readonly integrity?: string;
  readonly link?: boolean;
  readonly dev?: boolean;
  readonly hasInstallScript?: boolean;
}

export interface Lockfile {
  readonly lockfileVersion?: number;
  readonly packages?: Record<string, LockPackage>;
}

/** Every rule the lockfile breaks, one sentence each; empty when it is sound. */
export function lockfileProblems(lock: Lockfile): string[] {
  if ((lock.lockfileVersion ?? 0) < 2 || lock.packages === undefined) return ['package-lock.json must be lockfileVersion 2 or 3 (npm 7 or later)'];
  const problems: string[] = [];
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (where === '' || entry.link === true) continue;
    const name = where.replace(/^.*node_modules\//, '');
    if (entry.resolved !== undefined && !entry.resolved.startsWith(REGISTRY)) problems.push(`${name} is fetched from ${entry.resolved}, not from ${REGISTRY}`);
    if (!entry.integrity?.startsWith('sha512-')) problems.push(`${name} has no sha512 integrity digest`);
    if (entry.hasInstallScript === true && entry.dev !== true) problems.push(`${name} runs an install script (production dependencies must not)`);
  }
  return problems;
}

export type AuditVerdict =
  | { readonly kind: 'passed'; readonly counts: Readonly<Record<string, number>> }
  | { readonly kind: 'failed'; readonly findings: readonly string[]; readonly counts: Readonly<Record<string, number>> }
  | { readonly kind: 'unavailable'; readonly reason: string };

interface AuditReport {
  readonly auditReportVersion?: number;
  readonly vulnerabilities?: Record<string, { readonly severity?: string; readonly range?: string; readonly via?: readonly unknown[] }>;
  readonly metadata?: { readonly vulnerabilities?: Record<string, number> };
  readonly message?: string;
  readonly error?: { readonly summary?: string; readonly detail?: string };
}

/**
 * Reads what `npm audit --json` printed. An answer that is not an audit
 * report (the registry refused the advisory endpoint, no network) is
 * "unavailable", which the caller must not mistake for "passed".
 */
export function auditVerdict(output: string): AuditVerdict {
  let report: AuditReport;
  try {
    report = JSON.parse(output) as AuditReport;
  } catch {
    return { kind: 'unavailable', reason: `npm audit printed no JSON report: ${output.trim().slice(0, 200) || '(nothing)'}` };
  }
  if (report.auditReportVersion !== 2 || report.vulnerabilities === undefined) {
    const reason = report.message ?? report.error?.summary ?? 'npm audit printed no audit report';
    return { kind: 'unavailable', reason: reason.trim() || 'npm audit printed no audit report' };
  }
  const counts = { ...(report.metadata?.vulnerabilities ?? {}) };
  const findings = Object.entries(report.vulnerabilities)
    .filter(([, vulnerability]) => FAILING_SEVERITIES.includes(vulnerability.severity ?? ''))
    .map(([name, vulnerability]) =>
      `${name} ${vulnerability.range ?? ''}: ${vulnerability.severity} (${describeVia(vulnerability.via)})`.replace(/ {2,}/g, ' '),
    )
    .sort();
  return findings.length > 0 ? { kind: 'failed', findings, counts } : { kind: 'passed', counts };
}

function describeVia(via: readonly unknown[] | undefined): string {
  const parts = (via ?? []).map((item) => {
    if (typeof item === 'string') return `through ${item}`;
    const advisory = item as { title?: string; url?: string };
    return [advisory.title, advisory.url].filter(Boolean).join(' ');
  });
  return parts.join('; ') || 'no details';
}

/**
 * The dependencies of package.json that the README's "Dependencies and why"
 * table does not name: a dependency nobody explained is one nobody chose.
 */
export function unexplainedDependencies(
  packageJson: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> },
  readme: string,
): string[] {
  const start = readme.indexOf('## Dependencies and why');
  if (start < 0) return ['the README has no "## Dependencies and why" section'];
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const named = new Set<string>();
  for (const line of section.split('\n')) {
    const firstCell = /^\| ([^|]+) \|/.exec(line)?.[1];
    if (firstCell === undefined) continue;
    for (const name of firstCell.split(',')) named.add(name.replace(/\(dev\)/, '').trim());
  }
  const covered = (name: string): boolean => named.has(name) || (name.startsWith('@types/') && named.has('@types/*'));
  const all = [...Object.keys(packageJson.dependencies ?? {}), ...Object.keys(packageJson.devDependencies ?? {})];
  return all.filter((name) => !covered(name)).sort();
}
