/**
 * Finds the real peers (Vault server, registry, registry2, crane, skopeo, oras, helm,
 * containerd and ctr, dockerd and docker, redis-server, slapd and ldapmodify) that scripts/install-peers.sh
 * installs. On a laptop without them, the tests that
 * need them are skipped with a message saying how to install them; in CI
 * (CI=true) a missing peer is a failure.
 */
import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PEERS_BIN = path.join(
  process.env.VRA_PEERS_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'vault-registry-auth', 'peers'),
  'bin',
);

const INSTALL_HINT =
  'run `npm run peers` (scripts/install-peers.sh; needs Go, and apt for skopeo, htpasswd, containerd, docker.io, redis-server, slapd and ldap-utils) to install the peers';

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/**
 * The path of the first of `names` found in the peers' bin folder (or, for
 * Debian packages, on PATH). An absolute name is taken as it is, when it is
 * there, before any other.
 */
export function findPeer(...names: string[]): string | null {
  for (const name of names) {
    if (path.isAbsolute(name) && executable(name)) return name;
  }
  const plain = names.filter((name) => !path.isAbsolute(name));
  for (const name of plain) {
    const cached = path.join(PEERS_BIN, name);
    if (executable(cached)) return cached;
  }
  for (const name of plain) {
    const found = onPath(name);
    if (found) return found;
  }
  return null;
}

export type PeerName =
  | 'vault'
  | 'registry'
  | 'registry2'
  | 'crane'
  | 'skopeo'
  | 'htpasswd'
  | 'oras'
  | 'helm'
  | 'containerd'
  | 'ctr'
  | 'dockerd'
  | 'docker'
  | 'redis-server'
  | 'slapd'
  | 'ldapmodify';

const BINARIES: Readonly<Record<PeerName, string[]>> = {
  vault: ['bao', 'vault'],
  registry: ['registry'],
  // Registry 2.8 (the `registry:2` image's code), built as `registry2`.
  registry2: ['registry2'],
  crane: ['crane'],
  skopeo: ['skopeo'],
  htpasswd: ['htpasswd'],
  oras: ['oras'],
  helm: ['helm'],
  // Debian's containerd package: the daemon and its CLI, of one version.
  containerd: ['containerd'],
  ctr: ['ctr'],
  // Debian's docker.io package. Its CLI, of the daemon's version, before any
  // other `docker` on PATH (some machines have a newer CLI alone in /usr/local/bin).
  dockerd: ['/usr/sbin/dockerd', 'dockerd'],
  docker: ['/usr/bin/docker', 'docker'],
  // Debian's redis-server: the throttle's shared counters (throttle.redis.url).
  'redis-server': ['redis-server'],
  // Debian's slapd (OpenLDAP), the directory behind Vault's ldap auth method;
  // in /usr/sbin, which is not on a non-root user's PATH. It is slapadd too (`-Ta`).
  slapd: ['/usr/sbin/slapd', 'slapd'],
  // Debian's ldap-utils (ldapmodify, ldapsearch): the tests change the directory with it.
  ldapmodify: ['ldapmodify'],
};

/**
 * The peers' paths, or a skip reason when one is missing outside CI.
 * Use as `const peers = requirePeers('vault'); test('…', { skip: peers.skip }, …)`.
 */
export function requirePeers<N extends PeerName>(...names: N[]): { skip: string | false; paths: Record<N, string> } {
  const paths = {} as Record<N, string>;
  const missing: string[] = [];
  for (const name of names) {
    const found = findPeer(...BINARIES[name]);
    if (found) paths[name] = found;
    else missing.push(name);
  }
  if (missing.length === 0) return { skip: false, paths };
  const message = `missing peer${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: ${INSTALL_HINT}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  return { skip: message, paths };
}

/**
 * A skip reason when this process cannot start `what` (a daemon that needs
 * root: containerd, dockerd), or false. Like a missing peer: a failure under
 * CI=true (CI runs as root).
 */
export function requireRoot(what: string): string | false {
  if (process.platform === 'linux' && process.getuid?.() === 0) return false;
  const message = `${what} needs root on Linux: the tests start their own daemon`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  return message;
}
