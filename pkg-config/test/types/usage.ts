// The type test of the npm package: everything here must compile under
// `tsc -p pkg-config/test/types` (strict). Each `// @ts-expect-error` marks a
// line that must NOT compile (a misspelled action, a wrong label type, a wrong
// option); if it ever compiles, the directive is unused and tsc fails.
import init, { Permissions, PermsnapError, gate, errorCodes, initSync, reasonCodes, verifyEd25519 } from "permsnap";
import { follow, type FollowPhase, type FollowStatus } from "permsnap/live";
import type { ErrorCode, Explanation, Jwks, ManifestRef, Reason, VerifyOptions } from "permsnap";
import { usePermissions, useCan, type PermissionsView } from "permsnap/react";
import { permissionTypes } from "permsnap/codegen";
import { SMARTICO_CRM_PERMISSIONS, type SmarticoCrmPermission } from "./generated/smartico-crm.js";

declare const token: string;
declare const jwks: Jwks;
declare const manifest: string;

await init();
await init(new URL("https://cdn.example/permsnap_wasm_bg.wasm"));
initSync(new Uint8Array(8));

const options: VerifyOptions = { audience: "backoffice", manifest, issuer: "https://crm.example", leeway: 30, clockSkew: 5, maxLength: 8192 };
const perms = await Permissions.verify<SmarticoCrmPermission>(token, jwks, options);
await Permissions.verify<SmarticoCrmPermission>(token, JSON.stringify(jwks), { audience: "backoffice", manifest, now: new Date() });
await Permissions.verify<SmarticoCrmPermission>(token, { keys: [{ kty: "OKP", crv: "Ed25519", x: "…", kid: "k1", alg: "EdDSA" }] }, { audience: "backoffice", manifest, now: Date.now(), clock: () => Date.now() });
const fetchManifest = async ({ catalog, hash }: ManifestRef): Promise<string> => (await fetch(`/api/manifest?catalog=${catalog}&hash=${hash}`)).text();
await Permissions.verify<SmarticoCrmPermission>(token, jwks, { audience: "backoffice", manifest: fetchManifest });
const pending: Promise<Permissions<SmarticoCrmPermission>> = Permissions.verify<SmarticoCrmPermission>(token, jwks, options);
const strict: Promise<boolean> = verifyEd25519(new Uint8Array(32), new Uint8Array(0), new Uint8Array(64));
const allCodes: ErrorCode[] = errorCodes();
const allReasons: Reason[] = reasonCodes();
const ts: string = permissionTypes(manifest);

// correct usage compiles, and the answers are typed
const mayGive: boolean = perms.can("player.give_bonus", 4444);
const mayNot: boolean = perms.cannot("player.complete_mission", 4444);
const scoped: boolean = perms.can("player.view", 4444, { manager: "u7", vip: true, level: 3, note: null });
const why: Explanation = perms.explain("player.give_bonus", 4444);
const reason: Reason = why.reason;
const allowedBy: string | undefined = why.by;
const menu: SmarticoCrmPermission[] = perms.allowed(4444);
const unsubscribe: () => void = perms.subscribe((p) => {
  const fresh: boolean = p.can("player.give_bonus", 4444);
  const again: SmarticoCrmPermission[] = p.allowed(4444);
});
unsubscribe();
const updated: Promise<void> = perms.update(token);
const facts: [string, string, string, string, number[], Date | null, Date, boolean, number] =
  [perms.subject, perms.catalog, perms.manifest, perms.kid, perms.labels, perms.issuedAt, perms.expiresAt, perms.expired, perms.version];
const scopedNull: boolean = perms.can("player.view", 4444, null);
for (const action of SMARTICO_CRM_PERMISSIONS) perms.explain(action, 4444);
const asUntyped: Permissions = perms;
const stopGate: () => void = gate(document.body, perms, { label: 4444 });
gate(document.querySelector("main")!, null, { label: 4444 });
gate(document, undefined, { label: 4444 });
// live updates: the browser's EventSource fits; a token function may be async
const stopFollowing: () => void = follow(perms, {
  events: "/v1/events",
  initialToken: token,
  token: async () => (await fetch("/api/token")).text(),
  renewBefore: 30,
  backoff: { initial: 500, max: 10_000 },
  onError: (error: unknown, phase: FollowPhase) => { if (error instanceof PermsnapError && error.code === "unknown_key" && phase === "update") { /* verify anew */ } },
  onStatus: (status: FollowStatus) => { if (status === "live") { /* following */ } },
  EventSource,
});
follow(perms, { events: new URL("https://crm.example/v1/events"), token: () => token });
stopFollowing();
// @ts-expect-error: `token` is a function returning a token, not the token
follow(perms, { events: "/v1/events", token });
// @ts-expect-error: the events URL is required
follow(perms, { token: () => token });
// @ts-expect-error: not a status
follow(perms, { events: "/v1/events", token: () => token, onStatus: (s) => s === "open" });
stopGate();
perms.dispose();

// the React hook keeps the action type; no snapshot yet is fine
const view: PermissionsView<SmarticoCrmPermission> = usePermissions(perms);
const viewFalse: boolean = view.ready && view.can("player.give_bonus", 4444);
const none: PermissionsView = usePermissions(null);
const mayGiveHook: boolean = useCan(perms, "player.give_bonus", 4444);
// @ts-expect-error: the hook's view keeps the action type
view.can("player.giv_bonus", 4444);

// without the generated type, any string is an action
const untyped = await Permissions.verify(token, jwks, { audience: "backoffice", manifest });
untyped.can("anything.at_all", 1);
const untypedMenu: string[] = untyped.allowed(1);

// errors carry a typed, stable code
try {
  await Permissions.verify(token, jwks, options);
} catch (e) {
  if (e instanceof PermsnapError) {
    const code: ErrorCode = e.code;
    const name: "PermsnapError" = e.name;
    if (code === "bad_signature" || code === "expired" || code === "stale_token" || code === "manifest_mismatch") { /* re-login */ }
    // @ts-expect-error: not an error code
    if (e.code === "bad_sig") { /* never */ }
  }
}

// misspelled actions
// @ts-expect-error: "player.giv_bonus" is not a SmarticoCrmPermission
perms.can("player.giv_bonus", 4444);
// @ts-expect-error: misspelled action in cannot
perms.cannot("player.complete_misison", 4444);
// @ts-expect-error: misspelled action in explain
perms.explain("segment.exprot", 4444);
// @ts-expect-error: an action of another catalog
perms.can("affiliate.view", 4444, { manager: "u7" });
// @ts-expect-error: allowed() returns catalog actions, not any literal
const wrongMenu: "player.view"[] = perms.allowed(4444);
perms.subscribe((p) => {
  // @ts-expect-error: the listener's snapshot keeps the action type
  p.can("player.giv_bonus", 4444);
});

// wrong label and resource types
// @ts-expect-error: a label is a number, not a string
perms.can("player.give_bonus", "4444");
// @ts-expect-error: a label is required
perms.can("player.give_bonus");
// @ts-expect-error: a resource attribute is a primitive, not an object
perms.can("player.view", 4444, { manager: { id: "u7" } });
// @ts-expect-error: labels are numbers
const labelNames: string[] = perms.labels;

// wrong options
// @ts-expect-error: audience is required
Permissions.verify<SmarticoCrmPermission>(token, jwks, { manifest });
// @ts-expect-error: the manifest is required
Permissions.verify<SmarticoCrmPermission>(token, jwks, { audience: "backoffice" });
// @ts-expect-error: the manifest is its text, not the parsed object
Permissions.verify<SmarticoCrmPermission>(token, jwks, { audience: "backoffice", manifest: { v: 2 } });
// @ts-expect-error: verify is asynchronous: a promise, not a snapshot
const notYet: Permissions = Permissions.verify(token, jwks, options);
// @ts-expect-error: the options are required
Permissions.verify<SmarticoCrmPermission>(token, jwks);
// @ts-expect-error: misspelled option
Permissions.verify<SmarticoCrmPermission>(token, jwks, { audience: "backoffice", manifest, audiance: "backoffice" });
// @ts-expect-error: leeway is in seconds, a number
Permissions.verify<SmarticoCrmPermission>(token, jwks, { audience: "backoffice", manifest, leeway: "30s" });
// @ts-expect-error: now is a number or a Date
Permissions.verify<SmarticoCrmPermission>(token, jwks, { audience: "backoffice", manifest, now: "2026-11-23T12:00:00Z" });
// @ts-expect-error: the action type is a union of strings
Permissions.verify<number>(token, jwks, options);
// @ts-expect-error: a token is a string
Permissions.verify<SmarticoCrmPermission>(42, jwks, options);
// @ts-expect-error: gate's option is `label`
gate(document.body, perms, { lable: 4444 });
// @ts-expect-error: gate's label is a number
gate(document.body, perms, { label: "4444" });
// @ts-expect-error: gate needs its options
gate(document.body, perms);
// @ts-expect-error: a Reason is one of the documented codes
const badReason: Reason = "unknwon_action";
