// The key pairs the API accepts: CI_SECRET_ID/CI_SECRET_KEY and the entries of CI_CREDENTIALS_FILE.
// File format (JSON): an array of
//   { "secretId": "AKID…", "secretKey": "…", "buckets": ["media-1250000000"],
//     "sessionToken": "…", "expiresAt": "2030-01-01T00:00:00Z" }
// `buckets` limits the key to those buckets (absent: every bucket). `sessionToken` makes it a temporary
// key: requests must then carry the token (x-ci-security-token or x-cos-security-token, as a header or
// a query parameter). `expiresAt` (ISO 8601) ends its validity. Parsing is pure and reports every problem.
// It lives beside the config because the file is read at start, with the other variables.
import { readFileSync } from 'node:fs';

export interface ApiCredential {
  secretId: string;
  secretKey: string;
  /** Lowercase bucket names this key may use; undefined = every bucket. */
  buckets?: string[];
  sessionToken?: string;
  /** Epoch ms after which the key is refused. */
  expiresAtMs?: number;
}

const FIELDS = new Set(['secretId', 'secretKey', 'buckets', 'sessionToken', 'expiresAt']);
/** Printable ASCII without the separators of the Authorization syntax. */
const SECRET_ID = /^[\x21-\x7e]{1,256}$/;

/** Parses the credentials file's JSON text; `source` names it in problems. */
export function parseCredentials(text: string, source: string): { credentials: ApiCredential[]; problems: string[] } {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { credentials: [], problems: [`${source}: not valid JSON: ${(err as Error).message}`] };
  }
  if (!Array.isArray(doc))
    return { credentials: [], problems: [`${source}: must be a JSON array of {secretId, secretKey, buckets?, sessionToken?, expiresAt?}`] };
  const credentials: ApiCredential[] = [];
  doc.forEach((entry: unknown, i) => {
    const at = `${source}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const before = problems.length;
    for (const k of Object.keys(e)) if (!FIELDS.has(k)) problems.push(`${at}.${k}: unknown field (use ${[...FIELDS].join(', ')})`);
    const { secretId, secretKey, buckets, sessionToken, expiresAt } = e;
    if (typeof secretId !== 'string' || !SECRET_ID.test(secretId) || /[&;=]/.test(secretId)) {
      problems.push(`${at}.secretId: must be 1 to 256 printable characters without spaces, &, ; or =`);
    }
    if (typeof secretKey !== 'string' || secretKey === '') problems.push(`${at}.secretKey: must be a non-empty string`);
    if (
      buckets !== undefined &&
      (!Array.isArray(buckets) || buckets.length === 0 || !buckets.every((b) => typeof b === 'string' && b !== ''))
    ) {
      problems.push(`${at}.buckets: must be a non-empty array of bucket names (leave it out for every bucket)`);
    }
    if (sessionToken !== undefined && (typeof sessionToken !== 'string' || sessionToken === ''))
      problems.push(`${at}.sessionToken: must be a non-empty string`);
    let expiresAtMs: number | undefined;
    if (expiresAt !== undefined) {
      expiresAtMs = typeof expiresAt === 'string' ? Date.parse(expiresAt) : NaN;
      if (!Number.isFinite(expiresAtMs)) problems.push(`${at}.expiresAt: must be an ISO 8601 time such as 2030-01-01T00:00:00Z`);
    }
    if (problems.length > before) return;
    const c: ApiCredential = { secretId: secretId as string, secretKey: secretKey as string };
    if (Array.isArray(buckets)) c.buckets = (buckets as string[]).map((b) => b.toLowerCase());
    if (typeof sessionToken === 'string') c.sessionToken = sessionToken;
    if (expiresAtMs !== undefined) c.expiresAtMs = expiresAtMs;
    credentials.push(c);
  });
  return { credentials, problems };
}

/** Reads and parses the file; an unreadable file is one problem. */
export function loadCredentialsFile(file: string): { credentials: ApiCredential[]; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      credentials: [],
      problems: [
        `CI_CREDENTIALS_FILE=${JSON.stringify(file)}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      ],
    };
  }
  return parseCredentials(text, `CI_CREDENTIALS_FILE (${file})`);
}

/** Every configured key by SecretId; a SecretId given twice is a problem. */
export function indexCredentials(list: readonly ApiCredential[]): { byId: Map<string, ApiCredential>; problems: string[] } {
  const byId = new Map<string, ApiCredential>();
  const problems: string[] = [];
  for (const c of list) {
    if (byId.has(c.secretId)) problems.push(`SecretId ${c.secretId} is configured more than once`);
    byId.set(c.secretId, c);
  }
  return { byId, problems };
}
