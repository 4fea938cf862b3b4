import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import test from 'node:test';
import { auditVerdict, lockfileProblems, unexplainedDependencies } from '../../scripts/dependency-audit.js';

const sha = 'sha512-AAAA';

test('a lockfile whose packages are all pinned by sha512 from the registry has no problems', () => {
  const lock = {
    lockfileVersion: 3,
    packages: {
      '': {},
      'node_modules/koa': { resolved: 'https://registry.npmjs.org/koa/-/koa-3.0.0.tgz', integrity: sha },
      'node_modules/zod': { integrity: sha },
      'node_modules/local': { link: true },
      'node_modules/@biomejs/biome': { integrity: sha, dev: true, hasInstallScript: true },
    },
  };
  assert.deepEqual(lockfileProblems(lock), []);
});

test('lockfile problems: a git or tarball source, a missing or weak digest, an install script in production', () => {
  const lock = {
    lockfileVersion: 3,
    packages: {
      '': {},
      'node_modules/from-git': { resolved: 'git+ssh://git@github.com/x/y.git#abc', integrity: sha },
      'node_modules/a/node_modules/weak': { integrity: 'sha1-xyz' },
      'node_modules/bare': {},
      'node_modules/native': { integrity: sha, hasInstallScript: true },
    },
  };
  assert.deepEqual(lockfileProblems(lock), [
    'from-git is fetched from git+ssh://git@github.com/x/y.git#abc, not from https://registry.npmjs.org/',
    'weak has no sha512 integrity digest',
    'bare has no sha512 integrity digest',
    'native runs an install script (production dependencies must not)',
  ]);
  assert.deepEqual(lockfileProblems({ lockfileVersion: 1 }), ['package-lock.json must be lockfileVersion 2 or 3 (npm 7 or later)']);
});

test("this project's own lockfile follows the rules", async () => {
  assert.deepEqual(lockfileProblems(JSON.parse(await readFile('package-lock.json', 'utf8'))), []);
});

const report = (vulnerabilities: Record<string, unknown>, counts: Record<string, number>) =>
  JSON.stringify({ auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: counts } });

test('npm audit: high and critical advisories fail, naming the package and the advisory', () => {
  const output = report(
    {
      minimist: {
        name: 'minimist',
        severity: 'critical',
        range: '<=0.2.3',
        via: [{ title: 'Prototype Pollution in minimist', url: 'https://github.com/advisories/GHSA-xvch-5gv4-984h', severity: 'critical' }],
      },
      mkdirp: { name: 'mkdirp', severity: 'high', range: '0.4.1 - 0.5.1', via: ['minimist'] },
      debug: {
        name: 'debug',
        severity: 'moderate',
        range: '<2.6.9',
        via: [{ title: 'ReDoS in debug', url: 'https://github.com/advisories/GHSA-gxpj-cx7g-858c' }],
      },
    },
    { info: 0, low: 0, moderate: 1, high: 1, critical: 1, total: 3 },
  );
  assert.deepEqual(auditVerdict(output), {
    kind: 'failed',
    findings: [
      'minimist <=0.2.3: critical (Prototype Pollution in minimist https://github.com/advisories/GHSA-xvch-5gv4-984h)',
      'mkdirp 0.4.1 - 0.5.1: high (through minimist)',
    ],
    counts: { info: 0, low: 0, moderate: 1, high: 1, critical: 1, total: 3 },
  });
});

test('npm audit: low and moderate advisories alone pass, with their counts', () => {
  const output = report({ debug: { severity: 'moderate', range: '<2.6.9', via: [] } }, { info: 0, low: 0, moderate: 1, high: 0, critical: 0, total: 1 });
  assert.deepEqual(auditVerdict(output), { kind: 'passed', counts: { info: 0, low: 0, moderate: 1, high: 0, critical: 0, total: 1 } });
});

test('npm audit: a refused advisory endpoint is "unavailable", never "passed"', () => {
  // What npm 11 prints when a registry mirror answers 405 to the bulk advisory POST.
  const refused = JSON.stringify({
    message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    method: 'POST',
    statusCode: 405,
    body: '',
    error: { summary: '', detail: '' },
  });
  assert.deepEqual(auditVerdict(refused), {
    kind: 'unavailable',
    reason: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  });
  assert.deepEqual(auditVerdict(''), { kind: 'unavailable', reason: 'npm audit printed no JSON report: (nothing)' });
  assert.deepEqual(auditVerdict('{}'), { kind: 'unavailable', reason: 'npm audit printed no audit report' });
});

test('every dependency is explained in the README', async () => {
  const packageJson = JSON.parse(await readFile('package.json', 'utf8'));
  assert.deepEqual(unexplainedDependencies(packageJson, await readFile('README.md', 'utf8')), []);
});

test('unexplainedDependencies names what the table leaves out', () => {
  const readme =
    '# x\n## Dependencies and why\n\n| package | why |\n|---|---|\n| koa, @koa/router | http |\n| @types/* (dev) | types |\n| biome (dev) | lint |\n\n## License\n| zod | not in the section |\n';
  assert.deepEqual(
    unexplainedDependencies({ dependencies: { koa: '1', '@koa/router': '1', zod: '1' }, devDependencies: { '@types/node': '1', biome: '1' } }, readme),
    ['zod'],
  );
  assert.deepEqual(unexplainedDependencies({}, '# no section'), ['the README has no "## Dependencies and why" section']);
});
