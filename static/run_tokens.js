// A run card's tokens (runs/run_card.html), on every page that shows run cards: each
// choice's tokens are one Tab stop, walked with the arrow keys (a roving tabindex). The
// template makes the first token the stop (tabindex 0) and the others tabindex -1; here
// ArrowRight/ArrowLeft, Home and End move the focus inside the group, and the token last in
// focus becomes the stop, so that Tab comes back to it. The listeners are on the document,
// so cards swapped in later (a finished run's card, htmx swaps) need nothing more. The
// focused token's tip is shown by the stylesheet (.tok:focus::after).
(function () {
  "use strict";

  const TOKEN = ".choice-text > [data-tip]";

  function tokenOf(target) {
    return target instanceof Element && target.matches(TOKEN) ? target : null;
  }

  // The nearest token with a tip from `from` on, stepping with `step` (a sibling property).
  function nearest(from, step) {
    let element = from;
    while (element && !element.matches(TOKEN)) element = element[step];
    return element;
  }

  document.addEventListener("focusin", (event) => {
    const token = tokenOf(event.target);
    if (!token) return;
    const stop = token.parentElement.querySelector(':scope > [data-tip][tabindex="0"]');
    if (stop && stop !== token) stop.tabIndex = -1;
    token.tabIndex = 0;
  });

  document.addEventListener("keydown", (event) => {
    const token = tokenOf(event.target);
    if (!token || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const group = token.parentElement;
    let next;
    switch (event.key) {
      case "ArrowRight":
        next = nearest(token.nextElementSibling, "nextElementSibling");
        break;
      case "ArrowLeft":
        next = nearest(token.previousElementSibling, "previousElementSibling");
        break;
      case "Home":
        next = nearest(group.firstElementChild, "nextElementSibling");
        break;
      case "End":
        next = nearest(group.lastElementChild, "previousElementSibling");
        break;
      default:
        return;
    }
    event.preventDefault(); // neither scroll the page nor move a caret
    if (next) next.focus();
  });
})();
