// `data-permission` in JSX takes only the catalog's permission ids once
// `permsnap-types --jsx` has run (generated/smartico-crm.ts).
export const Toolbar = () => (
  <nav>
    <button data-permission="player.give_bonus">Give bonus</button>
    <a data-permission="message.view_links" href="#links">Links</a>
    {/* @ts-expect-error a misspelt action no longer compiles */}
    <button data-permission="player.giv_bonus">Typo</button>
  </nav>
);
