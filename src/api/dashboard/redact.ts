// What the dashboard may show of a job's payload and messages. Job data holds callback URLs (which
// users sign with query strings or userinfo) and may one day hold more; a browser tab is not the
// place for a credential. URLs keep their scheme, host and path (what an operator needs to tell
// receivers apart) and lose userinfo, query values and fragment; values under keys that name a
// secret are replaced whole; `key=value` secrets and bearer tokens inside free text are cut too.
// redactText keeps a string a string, so it can run over any answer of the dashboard's API.

export const REDACTED = '[redacted]';

/** Keys whose values are secrets, compared lower-case with `-` and `_` removed. */
const SECRET_KEY = /password|passwd|secret|token|signature|credential|authorization|apikey|accesskey|privatekey|signingkey|cookie/;

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** `name=value` or `name: value` where the name mentions a secret. */
const SECRET_PAIR =
  /\b([\w-]*(?:password|passwd|secret|token|signature|credential|api[-_]?key|access[-_]?key|private[-_]?key)[\w-]*)(\s*[=:]\s*)("?)([^\s"&,;]+)/gi;

const AUTH_SCHEME = /\b(Bearer|Basic)\s+[\w.~+/-]+=*/g;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_]/g, ''));
}

/** One URL without userinfo, query values or fragment; returned as it was when it has none of them. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not parseable: cut everything after the host's userinfo marker and the query's start.
    return text.replace(/\/\/[^/@?#]*@/, `//${REDACTED}@`).replace(/[?#].*$/, `?${REDACTED}`);
  }
  if (url.username === '' && url.password === '' && url.search === '' && url.hash === '') return text;
  if (url.username !== '' || url.password !== '') {
    url.username = REDACTED;
    url.password = '';
  }
  if (url.search !== '') {
    // Keeping the parameter names shows that the URL was signed (q-signature, X-Amz-Signature…).
    const names = [...new Set(url.searchParams.keys())];
    url.search = names.map((n) => `${encodeURIComponent(n)}=${REDACTED}`).join('&');
  }
  url.hash = '';
  return url.toString();
}

/** Free text (an error message, a log line) with every URL redacted and inline secrets cut. */
export function redactText(text: string): string {
  return text
    .replace(URL_IN_TEXT, (u) => redactUrl(u))
    .replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(SECRET_PAIR, (_m, name: string, sep: string, quote: string) => `${name}${sep}${quote}${REDACTED}`);
}

/**
 * A job's payload as the dashboard shows it: a deep copy in which values under secret-naming keys are
 * replaced and every string goes through redactText.
 */
export function redactData(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  // Job payloads are shallow; a cap keeps a pathological one from costing a deep walk on every poll.
  if (depth > 32) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactData(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) ? REDACTED : redactData(v, depth + 1);
  }
  return out;
}
