/**
 * `npm run audit` (run by .ci/run): the lockfile rules, then `npm audit
 * --omit=dev`, failing on a high or critical advisory in what we ship.
 *
 * When the advisory endpoint cannot be reached (some registry mirrors answer
 * 405 to its POST), the run says so loudly and passes, since no answer is not
 * a finding; set VRA_AUDIT_REQUIRED=true where the endpoint must answer.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { auditVerdict, type Lockfile, lockfileProblems } from './dependency-audit.js';

const run = promisify(execFile);

async function npmAudit(): Promise<string> {
  // npm audit exits 1 when it finds anything or fails; its JSON is on stdout either way.
  try {
    return (await run('npm', ['audit', '--omit=dev', '--json'], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    return (error as { stdout?: string }).stdout ?? '';
  }
}

const lock = JSON.parse(await readFile('package-lock.json', 'utf8')) as Lockfile;
const problems = lockfileProblems(lock);
for (const problem of problems) console.error(`lockfile: ${problem}`);
console.log(
  `lockfile: ${Object.keys(lock.packages ?? {}).length - 1} packages, ${problems.length === 0 ? 'all pinned by sha512, from the npm registry, no install scripts in production dependencies' : `${problems.length} problem(s)`}`,
);

const verdict = auditVerdict(await npmAudit());
let failed = problems.length > 0;
if (verdict.kind === 'unavailable') {
  console.warn(`npm audit: NOT AUDITED: ${verdict.reason}`);
  failed ||= process.env.VRA_AUDIT_REQUIRED === 'true';
} else {
  const counts = Object.entries(verdict.counts)
    .map(([severity, count]) => `${severity} ${count}`)
    .join(', ');
  console.log(`npm audit --omit=dev: ${counts || 'no vulnerabilities'}`);
  if (verdict.kind === 'failed') {
    for (const finding of verdict.findings) console.error(`npm audit: ${finding}`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
