import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passwordKind } from '../../src/passwords/formats.js';

test('bcrypt in every prefix htpasswd and libraries write; argon2 PHC strings; everything else is plaintext', () => {
  assert.equal(passwordKind('$2y$05$uuK/RKtet72yiMD1TL7Q7uWGjNc96oqK1WNxRNNoqIgfqnMmkAKO6'), 'bcrypt');
  assert.equal(passwordKind('$2b$10$PC6j.KIRfErXTXbmmOhUe.BH/cDwx4D/oYmMtZCS27VrE3NeTLGuu'), 'bcrypt');
  assert.equal(passwordKind('$2a$10$PC6j.KIRfErXTXbmmOhUe.BH/cDwx4D/oYmMtZCS27VrE3NeTLGuu'), 'bcrypt');
  assert.equal(passwordKind('$argon2id$v=19$m=19456,t=2,p=1$e6Gl8juriL/PNBWnWvqMPA$g/Fb/s/FddLj4PyCPtJNtKhyOGdbjpLjz+ejMbMiF8w'), 'argon2');
  for (const plain of ['bar', '', '$2b$10$short', '$2b$99$PC6j.KIRfErXTXbmmOhUe.BH/cDwx4D/oYmMtZCS27VrE3NeTLGuu', '$argon2id$garbage', '$1$md5$x']) {
    assert.equal(passwordKind(plain), 'plaintext', plain);
  }
});
