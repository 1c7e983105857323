// The SSO login form: the demo stands an email in for a verified Google
// login, and the server applies the store's SSO config: a first login from
// the company's domain creates the user (JIT, with the default role), a
// later one matches them, a public domain is rejected. A login logs the
// page in as that user.
import * as api from "./api.js";
import { $ } from "./dom.js";

/** Wires the form; `loggedIn(user, token)` switches the page to the user. */
export function ssoForm({ loggedIn }) {
  const show = (outcome, text) => {
    $("sso-result").textContent = text;
    $("sso-result").className = `result ${outcome === "rejected" ? "denied" : "applied"}`;
    $("sso-result").dataset.outcome = outcome;
  };
  $("sso-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = $("sso-email").value.trim();
    let r;
    try {
      r = await api.sso(email);
    } catch {
      show("rejected", "The server did not answer.");
      return;
    }
    const b = r.body ?? {};
    if (!r.ok) show("rejected", `Refused (${b.error?.code}): ${b.error?.message}`);
    else if (b.outcome === "created" || b.outcome === "matched") {
      const how = b.outcome === "created" ? `created ${b.username} (${b.role}) on first login` : `signed in as ${b.username ?? b.user}`;
      show(b.outcome, `SSO: ${how}.`);
      await loggedIn(b.user, b.token);
    } else show(b.outcome ?? "rejected", `SSO login ${b.outcome}: ${b.reason ?? ""}`);
  });
}
