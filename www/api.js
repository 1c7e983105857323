// The demo routes of `permsnap server --demo` (they play the host's backend
// for whichever user the page picks: the demo has no login) and the
// server's public API the page reads (JWKS, manifest). Shapes: README,
// "Demo mode".

// The tenant this page is (`?tenant=`): the demo's server holds both
// products, the CRM as tenant `default` and the affiliate platform as
// tenant `affiliates`; each tenant's routes are under its own prefix.
const TENANT = new URLSearchParams(location.search).get("tenant");
const DEMO = TENANT ? `/demo/tenants/${encodeURIComponent(TENANT)}` : "/demo";
const V1 = TENANT ? `/v1/tenants/${encodeURIComponent(TENANT)}` : "/v1";

/** This tenant's change events (`follow()` opens them). */
export const EVENTS = `${V1}/events`;

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
export const directory = () => get(`${DEMO}/users`);

/** The catalog's permissions and role rows (titles, what each grants or denies). */
export const catalog = () => get(`${DEMO}/catalog`);

/**
 * Where the issuer's public keys are. The server lets caches keep them 60 s;
 * the package reads them again past the cache when a token names a key it
 * does not have (a key rotation).
 */
export const JWKS_URL = "/.well-known/jwks.json";

/** The catalog manifest's exact text (the token names it by hash). */
export const manifest = () => fetch(`${V1}/manifest`).then((r) => r.text());

/** The latest audit records, oldest first. */
export const audit = (limit) => get(`${DEMO}/audit?limit=${limit}`);

/** A signed snapshot for `user` (`ttl` seconds, or the server's default): the token, or an Error. */
export async function token(user, ttl) {
  const r = await post(`${DEMO}/token`, ttl ? { user, ttl } : { user });
  if (!r.ok) throw new Error(`no token for ${user}: ${r.body?.error?.code ?? r.status}`);
  return r.body.token;
}

/** An admin op as `actor`: `{ok: true, body: {version, ...}}` or `{ok: false, body: {error: {code, message}}}`. */
export const admin = (actor, op) => post(`${DEMO}/admin`, { actor, ...op });

/** An SSO login with the store's config (an email stands for a verified Google login). */
export const sso = (email) => post(`${DEMO}/sso`, { email });
