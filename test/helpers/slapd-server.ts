/**
 * A real OpenLDAP slapd (Debian's, installed by scripts/install-peers.sh) in a
 * fresh temp dir on a free loopback port: the directory behind Vault's `ldap`
 * auth method in the directory-login tests. Its own slapd.conf (`-f`), so the
 * package's /etc/ldap/slapd.d and any system slapd are never used. The data
 * is changed as the root DN with Debian's ldap-utils (ldapmodify), the way an
 * operator would change a company directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './net.js';
import { type Daemon, run, startDaemon } from './process.js';

export const BASE_DN = 'dc=example,dc=com';
export const ROOT_DN = `cn=admin,${BASE_DN}`;
/** Every demo account's password. */
export const DEMO_PASSWORD = 'password';
/** The account Vault binds as to look users and their groups up (`binddn`). */
export const SERVICE_ACCOUNT_DN = `uid=serviceaccount,ou=it,${BASE_DN}`;

/**
 * The demo directory of the project this product grew from: musicians and
 * philosophers in two branches, a service account, and the `musicians`
 * group (groupOfNames) that Vault maps to a policy. Passwords are in clear:
 * slapd compares them as they are, and the tests read better.
 */
export const DEMO_DIRECTORY = `dn: ${BASE_DN}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=musicians,${BASE_DN}
objectClass: organizationalUnit
ou: musicians

dn: ou=philosophs,${BASE_DN}
objectClass: organizationalUnit
ou: philosophs

dn: ou=it,${BASE_DN}
objectClass: organizationalUnit
ou: it

dn: ou=groups,${BASE_DN}
objectClass: organizationalUnit
ou: groups

dn: uid=mozart,ou=musicians,${BASE_DN}
objectClass: inetOrgPerson
uid: mozart
cn: Wolfgang Amadeus Mozart
sn: Mozart
userPassword: ${DEMO_PASSWORD}

dn: uid=bach,ou=musicians,${BASE_DN}
objectClass: inetOrgPerson
uid: bach
cn: Johann Sebastian Bach
sn: Bach
userPassword: ${DEMO_PASSWORD}

dn: uid=schopenhauer,ou=philosophs,${BASE_DN}
objectClass: inetOrgPerson
uid: schopenhauer
cn: Arthur Schopenhauer
sn: Schopenhauer
userPassword: ${DEMO_PASSWORD}

dn: uid=kant,ou=philosophs,${BASE_DN}
objectClass: inetOrgPerson
uid: kant
cn: Immanuel Kant
sn: Kant
userPassword: ${DEMO_PASSWORD}

dn: ${SERVICE_ACCOUNT_DN}
objectClass: inetOrgPerson
uid: serviceaccount
cn: Service Account
sn: Account
userPassword: ${DEMO_PASSWORD}

dn: cn=musicians,ou=groups,${BASE_DN}
objectClass: groupOfNames
cn: musicians
member: uid=mozart,ou=musicians,${BASE_DN}
member: uid=bach,ou=musicians,${BASE_DN}
`;

/**
 * The `vault write auth/ldap/config …` arguments of the demo, as the README
 * gives them: search as the service account below ou=musicians (the
 * philosophers are outside it), groups from groupOfNames in ou=groups.
 */
export function demoLdapConfig(url: string, baseDn: string = BASE_DN): string[] {
  return [
    `url=${url}`,
    `binddn=${SERVICE_ACCOUNT_DN}`,
    `bindpass=${DEMO_PASSWORD}`,
    `userdn=ou=musicians,${baseDn}`,
    'userattr=uid',
    `groupdn=ou=groups,${baseDn}`,
    'groupfilter=(&(objectClass=groupOfNames)(member={{.UserDN}}))',
    'groupattr=cn',
  ];
}

export interface SlapdServerOptions {
  /** The slapd binary (requirePeers('slapd')); also loads the data, as slapadd (`-Ta`). */
  readonly slapd: string;
  /** ldap-utils' ldapmodify (requirePeers('ldapmodify')); ldapsearch is taken from its folder. */
  readonly ldapmodify: string;
  /** The directory's entries under dc=example,dc=com, as LDIF; DEMO_DIRECTORY by default. */
  readonly ldif?: string;
  /** The one account (besides the root DN) that may search everything; the demo service account by default. */
  readonly serviceAccountDn?: string;
}

export interface NewUser {
  readonly uid: string;
  readonly password: string;
  /** The organizational unit under the base DN (it must exist): `musicians`, `philosophs`… */
  readonly ou: string;
  readonly cn?: string;
  readonly sn?: string;
}

/** The slapd.conf of one test directory: the schemas inetOrgPerson and groupOfNames need, one mdb database. */
function config(dir: string, rootPassword: string, serviceAccountDn: string): string {
  const quoted = (value: string): string => `"${value.replace(/["\\]/gu, '\\$&')}"`;
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile ${quoted(path.join(dir, 'slapd.pid'))}
argsfile ${quoted(path.join(dir, 'slapd.args'))}
modulepath /usr/lib/ldap
moduleload back_mdb

database mdb
suffix ${quoted(BASE_DN)}
rootdn ${quoted(ROOT_DN)}
rootpw ${rootPassword}
directory ${quoted(path.join(dir, 'data'))}

# Passwords are only ever compared, by a bind as their own entry; nobody reads them.
access to attrs=userPassword
  by anonymous auth
  by * none
# As in a company directory: the service account (Vault's binddn) finds users
# and their groups; a user sees its own entry; anonymous and other users see nothing.
access to *
  by dn.exact=${quoted(serviceAccountDn)} read
  by self read
  by * none
`;
}

export class SlapdServer {
  readonly url: string;
  readonly baseDn = BASE_DN;
  readonly rootDn = ROOT_DN;
  readonly #daemon: Daemon;
  readonly #dir: string;
  readonly #ldapmodify: string;
  readonly #ldapsearch: string;
  #changes = 0;

  private constructor(
    url: string,
    readonly rootPassword: string,
    daemon: Daemon,
    dir: string,
    ldapmodify: string,
  ) {
    this.url = url;
    this.#daemon = daemon;
    this.#dir = dir;
    this.#ldapmodify = ldapmodify;
    this.#ldapsearch = path.join(path.dirname(ldapmodify), 'ldapsearch');
  }

  static async start(options: SlapdServerOptions): Promise<SlapdServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-slapd-'));
    try {
      const rootPassword = randomBytes(12).toString('hex');
      const configFile = path.join(dir, 'slapd.conf');
      await mkdir(path.join(dir, 'data'));
      await writeFile(configFile, config(dir, rootPassword, options.serviceAccountDn ?? SERVICE_ACCOUNT_DN), { mode: 0o600 });
      const ldifFile = path.join(dir, 'directory.ldif');
      await writeFile(ldifFile, options.ldif ?? DEMO_DIRECTORY);
      // `slapd -Ta` is slapadd (slapd(8), tool mode): the data goes in offline,
      // before the server starts, from the package's one binary.
      const loaded = await run(options.slapd, ['-Ta', '-q', '-f', configFile, '-l', ldifFile]);
      if (loaded.code !== 0) throw new Error(`slapadd failed (${loaded.code}): ${loaded.stderr}${loaded.stdout}`);
      const port = await freePort();
      const url = `ldap://127.0.0.1:${port}`;
      // `-d none`: in the foreground (the child is the server, stopped by the
      // test) and logging only what every level logs: errors, and "slapd starting".
      const daemon = startDaemon(options.slapd, ['-f', configFile, '-h', `${url}/`, '-d', 'none']);
      const server = new SlapdServer(url, rootPassword, daemon, dir, options.ldapmodify);
      try {
        await waitFor(
          `slapd on port ${port}`,
          async () => {
            if (daemon.child.exitCode !== null) throw new Error(`slapd exited: ${daemon.output()}`);
            return daemon.output().includes('slapd starting');
          },
          10_000,
        );
      } catch (error) {
        await daemon.stop();
        throw new Error(`${(error as Error).message}\n${daemon.output()}`);
      }
      return server;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The common ldap-utils arguments: this server, bound as the root DN, no ldap.conf or ~/.ldaprc. */
  #clientArgs(): string[] {
    return ['-x', '-H', this.url, '-D', this.rootDn, '-w', this.rootPassword];
  }

  /** Applies LDIF change records (`changetype: add|modify|delete…`) as the root DN; throws with ldapmodify's error. */
  async modify(ldif: string): Promise<void> {
    this.#changes += 1;
    const file = path.join(this.#dir, `change-${this.#changes}.ldif`);
    await writeFile(file, ldif);
    const result = await run(this.#ldapmodify, [...this.#clientArgs(), '-f', file], { env: { LDAPNOINIT: '1' } });
    if (result.code !== 0) throw new Error(`ldapmodify failed (${result.code}): ${result.stderr}${result.stdout}`);
  }

  /** Entries below the base DN matching `filter`, as ldapsearch's LDIF (`-LLL`: no comments, no version line). */
  async search(filter: string, ...attributes: string[]): Promise<string> {
    const result = await run(this.#ldapsearch, [...this.#clientArgs(), '-LLL', '-o', 'ldif-wrap=no', '-b', this.baseDn, filter, ...attributes], {
      env: { LDAPNOINIT: '1' },
    });
    if (result.code !== 0) throw new Error(`ldapsearch failed (${result.code}): ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** Adds an inetOrgPerson `uid=<uid>,ou=<ou>,<base>`; its DN. */
  async addUser(user: NewUser): Promise<string> {
    const dn = `uid=${user.uid},ou=${user.ou},${this.baseDn}`;
    await this.modify(
      `dn: ${dn}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: ${user.uid}\ncn: ${user.cn ?? user.uid}\nsn: ${user.sn ?? user.uid}\nuserPassword: ${user.password}\n`,
    );
    return dn;
  }

  /** The DN of a group of ou=groups (groupOfNames). */
  groupDn(groupCn: string): string {
    return `cn=${groupCn},ou=groups,${this.baseDn}`;
  }

  async addToGroup(groupCn: string, userDn: string): Promise<void> {
    await this.modify(`dn: ${this.groupDn(groupCn)}\nchangetype: modify\nadd: member\nmember: ${userDn}\n`);
  }

  /** Removes one member; a groupOfNames must keep at least one (slapd refuses the last: objectClass violation). */
  async removeFromGroup(groupCn: string, userDn: string): Promise<void> {
    await this.modify(`dn: ${this.groupDn(groupCn)}\nchangetype: modify\ndelete: member\nmember: ${userDn}\n`);
  }

  output(): string {
    return this.#daemon.output();
  }

  async stop(): Promise<void> {
    await this.#daemon.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
