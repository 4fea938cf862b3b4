/**
 * The access of CI logins, written as a template over the claims of the CI
 * system's OIDC token, e.g. `repository:${claims.project_path}/**:push,pull`
 * (GitLab) or `repository:${claims.repository}/**:push,pull` (GitHub).
 *
 * A claim's value becomes literal text of the name, never pattern syntax,
 * like `${account}`: only values made of name characters (letters, digits,
 * `.`, `_`, `-`) in `/`-separated segments are used, none of them `.` or
 * `..`. Such a value can hold no `*`, `$`, `:`, `,` or `;`, so putting it in
 * the entry cannot change what the entry means. An entry whose claim is
 * missing or not such a value is dropped (and reported): it grants nothing,
 * rather than something the template's author did not mean.
 *
 * The claims are those of a token Vault's jwt auth method has just accepted
 * (signature, issuer, audience, expiry and the role's bound claims checked
 * by Vault), so they are the CI system's word, not the client's.
 */

/** `${claims.NAME}`: NAME is a top-level claim (GitLab and GitHub put what matters there). */
const PLACEHOLDER = /\$\{claims\.([A-Za-z_][A-Za-z0-9_]*)\}/g;
const CLAIM_VALUE = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;
/** A repository name is at most 255 characters in distribution. */
export const MAX_CLAIM_VALUE_LENGTH = 255;

/** The claims a template uses, in order of first use. */
export function templateClaims(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ''))];
}

/**
 * The template with every placeholder replaced by a plain name segment:
 * what the configuration checks as an access string (a placeholder written
 * wrongly, such as `${claims.a.b}`, stays and is reported there).
 */
export function templateForChecking(template: string): string {
  return template.replace(PLACEHOLDER, 'claim');
}

export interface BoundAccess {
  readonly access: string;
  /** The entries dropped, in words for the log. */
  readonly problems: readonly string[];
}

/** Binds a template to accepted claims, entry by entry. */
export function bindClaims(template: string, claims: Readonly<Record<string, unknown>>): BoundAccess {
  const problems: string[] = [];
  const entries: string[] = [];
  for (const raw of template.split(';')) {
    const entry = raw.trim();
    if (entry === '') continue;
    let problem: string | null = null;
    const bound = entry.replace(PLACEHOLDER, (_placeholder, name: string) => {
      const value = claimValue(claims[name]);
      if (value.ok) return value.text;
      problem ??= `entry ${JSON.stringify(entry)} dropped: the claim ${name} ${value.reason}`;
      return '';
    });
    if (problem === null) entries.push(bound);
    else problems.push(problem);
  }
  return { access: entries.join(';'), problems };
}

function claimValue(value: unknown): { ok: true; text: string } | { ok: false; reason: string } {
  if (value === undefined || value === null) return { ok: false, reason: 'is missing' };
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : null;
  if (text === null) return { ok: false, reason: 'is not a string' };
  if (text.length > MAX_CLAIM_VALUE_LENGTH) return { ok: false, reason: `is longer than ${MAX_CLAIM_VALUE_LENGTH} characters` };
  if (!CLAIM_VALUE.test(text) || text.split('/').some((segment) => segment === '.' || segment === '..')) {
    return { ok: false, reason: `${JSON.stringify(text.slice(0, 64))} is not a plain name (letters, digits, ".", "_", "-" in "/"-separated segments)` };
  }
  return { ok: true, text };
}
