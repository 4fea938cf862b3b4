/**
 * What a stored `password` field holds: a bcrypt hash (`$2a$`, `$2b$`,
 * `$2y$` — htpasswd writes `$2y$`), an argon2 PHC string, or plaintext as
 * Godoauth stored it. Anything that does not look exactly like a hash is
 * plaintext (so a plaintext password that happens to start with `$2b$` still
 * works as a password).
 */
export type PasswordKind = 'bcrypt' | 'argon2' | 'plaintext';

// $2b$10$ + 22 characters of salt + 31 of hash, in bcrypt's base64 alphabet.
const BCRYPT = /^\$2[abxy]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/u;
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
const ARGON2 = /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/u;

export function passwordKind(stored: string): PasswordKind {
  if (BCRYPT.test(stored)) return 'bcrypt';
  if (ARGON2.test(stored)) return 'argon2';
  return 'plaintext';
}

/** The algorithms new passwords are hashed with. */
export type HashAlgorithm = 'argon2id' | 'bcrypt';
