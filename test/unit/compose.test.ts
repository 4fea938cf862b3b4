/**
 * docker-compose.yml, config/compose.yml and the Dockerfile name the same
 * things several times over (issuer, service, mount, realm, certificate,
 * Vault address and token). No Docker engine runs these tests, so this checks
 * that the files agree with each other and that the config is valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/config.js';

/** This file runs as dist/test/unit/compose.test.js. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface ComposeService {
  readonly command?: string | readonly string[];
  readonly environment?: Readonly<Record<string, string | number | null>> | readonly string[];
  readonly ports?: readonly (string | number)[];
  readonly volumes?: readonly string[];
  readonly depends_on?: Readonly<Record<string, { readonly condition?: string }>>;
  readonly healthcheck?: Readonly<Record<string, unknown>>;
}

const compose = yaml.load(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};

function service(name: string): ComposeService {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has no ${name} service`);
  return found;
}

/** A service's environment as a record, from either the mapping or the `KEY=value` list form. */
function environmentOf(serviceName: string): Record<string, string> {
  const environment = service(serviceName).environment ?? {};
  const entries = Array.isArray(environment)
    ? environment.map((line: string) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)];
      })
    : Object.entries(environment).map(([key, value]) => [key, String(value ?? '')]);
  return Object.fromEntries(entries) as Record<string, string>;
}

function envVar(serviceName: string, key: string): string {
  const value = environmentOf(serviceName)[key];
  assert.ok(value, `the ${serviceName} service does not set ${key}`);
  return value;
}

/** The command as one string, whether written as a string or a list. */
function commandOf(serviceName: string): string {
  const command = service(serviceName).command;
  assert.ok(command, `the ${serviceName} service has no command`);
  return typeof command === 'string' ? command : command.join(' ');
}

interface BindMount {
  /** Absolute host path (relative ones are resolved against the compose file's folder). */
  readonly host: string;
  readonly container: string;
  readonly readOnly: boolean;
}

/**
 * The service's short-syntax `source:container[:mode]` volumes. A named
 * volume's source resolves like a relative path, which is enough to tell
 * whether two services share it.
 */
function bindMountsOf(serviceName: string): BindMount[] {
  return (service(serviceName).volumes ?? []).map((volume) => {
    const [host = '', container = '', mode = 'rw'] = volume.split(':');
    return { host: path.resolve(root, host), container, readOnly: mode.split(',').includes('ro') };
  });
}

/** The mount a container path lives in: the one with the longest matching container path. */
function mountHolding(serviceName: string, containerPath: string): BindMount {
  const holding = bindMountsOf(serviceName)
    .filter((mount) => containerPath === mount.container || containerPath.startsWith(`${mount.container}/`))
    .sort((a, b) => b.container.length - a.container.length)[0];
  assert.ok(holding, `no volume of the ${serviceName} service holds ${containerPath}`);
  return holding;
}

/** Where a path inside the service's container lives on the host. */
function hostPathOf(serviceName: string, containerPath: string): string {
  const mount = mountHolding(serviceName, containerPath);
  return path.join(mount.host, path.relative(mount.container, containerPath));
}

/** The service's short-syntax `[ip:]host:container` port mappings. */
function publishedPortsOf(serviceName: string): { host: number; container: number }[] {
  return (service(serviceName).ports ?? []).map((port) => {
    const parts = String(port).split(':');
    const container = Number(parts.at(-1));
    return { host: parts.length > 1 ? Number(parts.at(-2)) : container, container };
  });
}

/** The `--config` path the auth service is started with (a path inside its container). */
function authConfigPath(): string {
  const match = /(?:^|\s)serve\s+--config\s+(\S+)/u.exec(commandOf('auth'));
  assert.ok(match?.[1], `the auth service's command should be "serve --config <file>", got ${JSON.stringify(commandOf('auth'))}`);
  return match[1];
}

/** config/compose.yml, parsed the way the auth container's `serve --config` would. */
function loadComposeConfig(): Config {
  const file = path.join(root, 'config', 'compose.yml');
  return parseConfig(
    yaml.load(readFileSync(file, 'utf8')),
    path.posix.dirname(authConfigPath()),
    {
      VAULT_ADDR: envVar('auth', 'VAULT_ADDR'),
      VAULT_TOKEN: envVar('auth', 'VAULT_TOKEN'),
    },
    file,
  );
}

test("config/compose.yml parses with the auth service's Vault environment", () => {
  const config = loadComposeConfig();
  assert.equal(config.baseDir, '/etc/vault-registry-auth');
  assert.equal(config.storage.kind, 'vault');
  assert.deepEqual(config.storage.kind === 'vault' && [config.storage.address, config.storage.auth], [
    'http://vault:8200',
    { method: 'token', token: { value: 'dev-root-token' } },
  ]);
  assert.equal(config.http.host, undefined, 'the server must listen on all interfaces inside its container');
  assert.equal(config.http.port, 5002);
  assert.deepEqual(config.http.realmPaths, ['/auth', '/auth/token']);
  assert.equal(config.token.issuer, 'vault-registry-auth');
  assert.equal(config.token.expirationSeconds, 300);
  assert.deepEqual(config.token.keys, { from: 'files', certificate: '/certs/token.pem', key: '/certs/token.key', published: [], generate: true });
  assert.deepEqual(config.services, new Map([['registry', 'registry']]));
});

test('the registry expects the issuer the config signs with', () => {
  assert.equal(envVar('registry', 'REGISTRY_AUTH'), 'token');
  assert.equal(envVar('registry', 'REGISTRY_AUTH_TOKEN_ISSUER'), 'vault-registry-auth');
  assert.equal(envVar('registry', 'REGISTRY_AUTH_TOKEN_ISSUER'), loadComposeConfig().token.issuer);
});

test("the registry's service is configured, and its mount is the one vault-init creates and fills", () => {
  const serviceName = envVar('registry', 'REGISTRY_AUTH_TOKEN_SERVICE');
  assert.equal(serviceName, 'registry');
  const mount = loadComposeConfig().services?.get(serviceName);
  assert.equal(mount, 'registry', `the config has no service ${serviceName} with mount registry`);

  const init = commandOf('vault-init');
  assert.match(init, new RegExp(`vault secrets enable -path=${mount} -version=1 kv`, 'u'));
  assert.ok(
    init.includes(`vault write ${mount}/foo password=bar access="repository:linux/app:*;repository:linux/db:pull;registry:catalog:*"`),
    'vault-init should write the example user foo into the mount',
  );
});

test('the realm is a configured path on the port the auth service publishes', () => {
  const config = loadComposeConfig();
  const realm = new URL(envVar('registry', 'REGISTRY_AUTH_TOKEN_REALM'));
  assert.equal(realm.href, 'http://localhost:5002/auth');
  assert.ok(config.http.realmPaths.includes(realm.pathname), `${realm.pathname} is not one of ${config.http.realmPaths.join(', ')}`);

  const realmPort = Number(realm.port);
  assert.equal(realmPort, config.http.port);
  // The realm is fetched by clients on the host: its port is the published
  // (host) side, which must lead to the port the server listens on.
  assert.deepEqual(
    publishedPortsOf('auth').find((port) => port.host === realmPort),
    { host: 5002, container: config.http.port },
  );
});

test("the registry's root certificate bundle is the certificate the auth service writes", () => {
  const config = loadComposeConfig();
  const bundle = envVar('registry', 'REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE');
  assert.equal(bundle, '/certs/token.pem');

  // Both services mount the named volume that holds the signing key.
  assert.ok(compose.volumes && 'signing-keys' in compose.volumes, 'docker-compose.yml declares the signing-keys volume');
  const expected = path.join(root, 'signing-keys', 'token.pem');
  assert.equal(hostPathOf('registry', bundle), expected);
  const keys = config.token.keys;
  assert.ok(keys.from === 'files', 'the compose configuration keeps its keys in files');
  assert.equal(hostPathOf('auth', keys.certificate), expected);
  // token.generate creates the key and certificate there on first start.
  assert.equal(mountHolding('auth', keys.certificate).readOnly, false, 'the auth service must be able to write its certificate');
  assert.equal(mountHolding('auth', keys.key).readOnly, false, 'the auth service must be able to write its key');
});

test('the auth service reaches the vault service with its root token', () => {
  const address = new URL(envVar('auth', 'VAULT_ADDR'));
  assert.equal(address.href, 'http://vault:8200/');
  assert.ok(compose.services[address.hostname], `${address.hostname} is not a service in docker-compose.yml`);
  assert.equal(envVar('vault', 'VAULT_DEV_LISTEN_ADDRESS'), `0.0.0.0:${address.port}`);

  const rootToken = envVar('vault', 'VAULT_DEV_ROOT_TOKEN_ID');
  assert.equal(rootToken, 'dev-root-token');
  assert.equal(envVar('auth', 'VAULT_TOKEN'), rootToken);
  assert.equal(envVar('vault-init', 'VAULT_ADDR'), address.origin);
  assert.equal(envVar('vault-init', 'VAULT_TOKEN'), rootToken);
});

test('the image runs the CLI, and the auth service serves the mounted config', () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const entrypoints = [...dockerfile.matchAll(/^ENTRYPOINT\s+(.+)$/gmu)].map((match) => match[1] ?? '');
  assert.equal(entrypoints.length, 1, 'the Dockerfile should have one ENTRYPOINT');
  assert.deepEqual(JSON.parse(entrypoints[0] ?? ''), ['node', 'dist/src/cli.js']);

  const configPath = authConfigPath();
  assert.equal(commandOf('auth'), 'serve --config /etc/vault-registry-auth/config.yml');
  const configMount = mountHolding('auth', configPath);
  assert.equal(configMount.container, configPath, 'the config file should be mounted at the --config path itself');
  assert.equal(configMount.host, path.join(root, 'config', 'compose.yml'));
  assert.equal(configMount.readOnly, true);
});

/** The Dockerfile's stages: each FROM line with the instructions that follow it (continuation lines joined). */
function dockerStages(): { from: string; instructions: string[] }[] {
  const text = readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n\s*/gu, ' ');
  const stages: { from: string; instructions: string[] }[] = [];
  for (const line of text.split('\n').map((one) => one.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    if (/^FROM\s/iu.test(line)) stages.push({ from: line, instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** The final stage: what the image is. */
function finalStage(): { from: string; instructions: string[] } {
  const last = dockerStages().at(-1);
  assert.ok(last, 'the Dockerfile has no FROM');
  return last;
}

const instructionsOf = (name: string): string[] =>
  finalStage()
    .instructions.filter((line) => line.toUpperCase().startsWith(`${name} `))
    .map((line) => line.slice(name.length + 1).trim());

test('the image is built in stages: the final one holds production dependencies and compiled code only', () => {
  const stages = dockerStages();
  assert.equal(stages.length, 3, 'deps, build and the runtime stage');
  assert.match(readFileSync(path.join(root, 'Dockerfile'), 'utf8'), /^ARG NODE_IMAGE=node:20-alpine$/mu);
  const deps = stages.find((stage) => / AS deps$/u.test(stage.from));
  assert.ok(deps, 'a deps stage');
  assert.ok(
    deps.instructions.includes('RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force'),
    'the deps stage installs production dependencies only',
  );
  const runtime = finalStage();
  assert.equal(runtime.from, 'FROM ${NODE_IMAGE}');
  assert.deepEqual(instructionsOf('COPY'), [
    '--from=deps /app/package.json ./',
    '--from=deps /app/node_modules ./node_modules',
    '--from=build /app/dist/src ./dist/src',
    'config ./config',
  ]);
  // Nothing is installed or compiled in the image itself.
  for (const run of instructionsOf('RUN')) assert.doesNotMatch(run, /\b(npm|apk|apt-get|tsc|gcc|make|python)\b/u, run);
});

test('the image runs as an unprivileged user', () => {
  assert.deepEqual(instructionsOf('USER'), ['node']);
  // Set before the command runs: nothing after it switches back.
  const instructions = finalStage().instructions;
  const user = instructions.findIndex((line) => line.startsWith('USER '));
  const entrypoint = instructions.findIndex((line) => line.startsWith('ENTRYPOINT '));
  assert.ok(user >= 0 && user < entrypoint, 'USER comes before ENTRYPOINT');
});

test("the image's HEALTHCHECK asks GET /healthz on the server's port with node's fetch (no curl in the image)", () => {
  const [healthcheck, ...more] = instructionsOf('HEALTHCHECK');
  assert.equal(more.length, 0, 'one HEALTHCHECK');
  const match = /^(.*?)CMD (\[.*\])$/u.exec(healthcheck ?? '');
  assert.ok(match, `HEALTHCHECK ... CMD [exec form], got ${healthcheck}`);
  assert.equal(match[1]?.trim(), '--interval=15s --timeout=5s --start-period=20s --retries=3');
  const command = JSON.parse(match[2] as string) as string[];
  assert.deepEqual(command.slice(0, 2), ['node', '-e']);
  assert.match(command[2] ?? '', /^fetch\(process\.env\.VRA_HEALTHCHECK_URL, /u);

  const url = new URL(/^VRA_HEALTHCHECK_URL=(\S+)$/mu.exec(instructionsOf('ENV').join('\n'))?.[1] ?? '');
  assert.equal(url.href, 'http://127.0.0.1:5002/healthz');
  assert.equal(Number(url.port), loadComposeConfig().http.port, 'the health check asks the port the compose config listens on');
});

test('the image exposes the token port and the metrics port, and compose publishes both', () => {
  assert.deepEqual(instructionsOf('EXPOSE'), ['5002 9102']);
  const config = loadComposeConfig();
  assert.deepEqual(config.metrics, { enabled: true, path: '/metrics', listen: { port: 9102 } });
  assert.deepEqual(publishedPortsOf('auth'), [
    { host: 5002, container: config.http.port },
    { host: 9102, container: config.metrics.listen?.port },
  ]);
});

test('the registry starts once the auth service is healthy (its certificate exists by then)', () => {
  assert.deepEqual(service('registry').depends_on, { auth: { condition: 'service_healthy' } });
  // The image's health check command, checked more often: no test of its own.
  assert.deepEqual(service('auth').healthcheck, { interval: '3s' });
});
