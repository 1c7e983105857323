// The demo routes of `permsnap server --demo` (they play the host's backend
// for whichever user the page picks: the demo has no login) and the
// server's public API the page reads (JWKS, manifest). Shapes: README,
// "Demo mode".

async function json(response) {
  const body = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, body };
}

const post = (path, body) =>
  fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(json);

async function get(path, init) {
  const r = await fetch(path, init).then(json);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${r.body?.error?.code ?? ""}`);
  return r.body;
}

/** `{labels, users}` as stored. */
export const directory = () => get("/demo/users");

/** The catalog's permissions and role rows (titles, what each grants or denies). */
export const catalog = () => get("/demo/catalog");

/**
 * Where the issuer's public keys are. The server lets caches keep them 60 s;
 * the package reads them again past the cache when a token names a key it
 * does not have (a key rotation).
 */
export const JWKS_URL = "/.well-known/jwks.json";

/** The catalog manifest's exact text (the token names it by hash). */
export const manifest = () => fetch("/v1/manifest").then((r) => r.text());

/** The latest audit records, oldest first. */
export const audit = (limit) => get(`/demo/audit?limit=${limit}`);

/** A signed snapshot for `user` (`ttl` seconds, or the server's default): the token, or an Error. */
export async function token(user, ttl) {
  const r = await post("/demo/token", ttl ? { user, ttl } : { user });
  if (!r.ok) throw new Error(`no token for ${user}: ${r.body?.error?.code ?? r.status}`);
  return r.body.token;
}

/** An admin op as `actor`: `{ok: true, body: {version, ...}}` or `{ok: false, body: {error: {code, message}}}`. */
export const admin = (actor, op) => post("/demo/admin", { actor, ...op });

/** An SSO login with the store's config (an email stands for a verified Google login). */
export const sso = (email) => post("/demo/sso", { email });
