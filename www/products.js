// The demo's two products, two tenants of one `permsnap server --demo`:
// the CRM (`smartico-crm`) is tenant `default` (the page at `/`), the
// affiliate platform (`tap-affiliate`) tenant `affiliates` (the page at
// `/?tenant=affiliates`). The page shows the sections of its tenant's
// catalog (elements with `data-catalog`), and links to the other product.
import { $, h } from "./dom.js";

const PRODUCTS = {
  "smartico-crm": { name: "CRM", other: "tap-affiliate", href: "/" },
  "tap-affiliate": { name: "affiliate platform", other: "smartico-crm", href: "/?tenant=affiliates" },
};

/** The affiliates of the TAP page: each row is checked against its own resource. */
const AFFILIATES = [
  { id: "A-101", name: "BestOdds Media", manager: "u7", status: "approved" },
  { id: "A-102", name: "SlotGuide", manager: "u7", status: "pending" },
  { id: "A-201", name: "Casino Radar", manager: "u9", status: "approved" },
  { id: "A-202", name: "BonusHunters", manager: "u9", status: "pending" },
];

/**
 * Keeps the elements of `catalog` (the `/demo/catalog` answer) and removes
 * the other product's, before anything is gated; names the product and
 * links to the other one.
 */
export function showProduct(catalog) {
  const id = catalog.catalog;
  for (const el of document.querySelectorAll("[data-catalog]")) if (el.dataset.catalog !== id) el.remove();
  document.body.dataset.catalog = id;
  $("product").textContent = catalog.title;
  const product = PRODUCTS[id];
  if (product) {
    const link = $("other-product");
    link.href = PRODUCTS[product.other].href;
    link.textContent = `→ the ${PRODUCTS[product.other].name} (${product.other})`;
    link.hidden = false;
  }
  if (id === "tap-affiliate") affiliateRows();
}

/** One row per affiliate, hidden unless `affiliate.view` allows it on that affiliate. */
function affiliateRows() {
  const rows = AFFILIATES.map((a) => {
    const resource = JSON.stringify({ manager: a.manager, status: a.status });
    const button = (permission, text, scoped = true) =>
      h("button", { type: "button", dataset: scoped ? { permission, resource } : { permission } }, text);
    return h(
      "tr",
      { id: `aff-${a.id}`, dataset: { permission: "affiliate.view", gate: "hide", resource } },
      h("td", {}, `${a.id} ${a.name}`),
      h("td", {}, a.manager),
      h("td", {}, a.status),
      h("td", { className: "controls" }, button("affiliate.edit", "Edit"), button("deal.manage", "Deals"), button("affiliate.review", "Review application", false)),
    );
  });
  $("affiliate-rows").replaceChildren(...rows);
}
