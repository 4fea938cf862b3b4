import assert from 'node:assert/strict';
import test from 'node:test';
import { logIn, NO_ENTRY } from '../../src/logins/login-chain.js';
import type { LoginOutcome, LoginRights, LoginWay } from '../../src/logins/login-way.js';
import type { UserRecord } from '../../src/users/user-store.js';

const target = { service: 'registry', mount: 'registry' };
const entry: UserRecord = { password: '$argon2id$…', access: 'repository:team/*:pull', groups: [] };
const rights: LoginRights = { via: 'ldap login', groups: ['musicians'], problems: [] };

/** A way that answers as told and records who asked it. */
function way(name: string, outcome: LoginOutcome, asked: string[]): LoginWay {
  return {
    name,
    login: async () => {
      asked.push(name);
      return outcome;
    },
  };
}

test('the first way that accepts decides; the ways after it are not asked', async () => {
  const asked: string[] = [];
  const ways = [way('kv', { kind: 'unknown' }, asked), way('ldap', { kind: 'accepted', rights }, asked), way('jwt', { kind: 'refused' }, asked)];
  assert.deepEqual(await logIn(ways, { target, account: 'mozart', password: 'pw', stored: null }), { user: NO_ENTRY, login: rights });
  assert.deepEqual(asked, ['kv', 'ldap']);
});

test('a refusal ends the chain: a KV user with a wrong password never becomes a directory login', async () => {
  const asked: string[] = [];
  const ways = [way('kv', { kind: 'refused' }, asked), way('ldap', { kind: 'accepted', rights }, asked)];
  assert.equal(await logIn(ways, { target, account: 'admin', password: 'wrong', stored: entry }), null);
  assert.deepEqual(asked, ['kv']);
});

test('a directory login keeps the KV entry of the same name for its rights', async () => {
  const rightsOnly: UserRecord = { password: '', access: 'repository:extra/app:pull', groups: ['ops'] };
  const ways = [way('kv', { kind: 'unknown' }, []), way('ldap', { kind: 'accepted', rights }, [])];
  assert.deepEqual(await logIn(ways, { target, account: 'bach', password: 'pw', stored: rightsOnly }), { user: rightsOnly, login: rights });
});

test('a KV login is the entry alone; a way accepting without rights and without an entry logs nobody in', async () => {
  assert.deepEqual(await logIn([way('kv', { kind: 'accepted' }, [])], { target, account: 'admin', password: 'pw', stored: entry }), { user: entry });
  assert.equal(await logIn([way('odd', { kind: 'accepted' }, [])], { target, account: 'x', password: 'pw', stored: null }), null);
});

test('unknown to every way: nobody', async () => {
  const asked: string[] = [];
  assert.equal(
    await logIn([way('kv', { kind: 'unknown' }, asked), way('ldap', { kind: 'unknown' }, asked)], { target, account: 'x', password: 'pw', stored: null }),
    null,
  );
  assert.deepEqual(asked, ['kv', 'ldap']);
  assert.equal(await logIn([], { target, account: 'x', password: 'pw', stored: entry }), null);
});
