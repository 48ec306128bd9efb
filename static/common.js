// Behaviour every page shares: confirmations and copy buttons; and how a token's
// probability is written (the editor's alternatives, a comparison's columns).
(function () {
  "use strict";

  // A log probability as a percentage: whole above 10%, then one or two decimals.
  window.Odds = {
    percent(lp) {
      const p = Math.exp(lp) * 100;
      return (p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2)) + "%";
    },
  };

  // Forms with data-confirm ask first (deleting a session, revoking a link...).
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Copy buttons: data-copy names the input or textarea whose value is copied.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(source.value);
    } catch (e) {
      // Pages served over plain http (not localhost) have no clipboard API.
      source.hidden = false;
      source.select();
      document.execCommand("copy");
      source.hidden = true;
    }
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
})();
