// The filter panel and history of the timeline and the statistics explorer, on top of htmx
// (no inline code: strict CSP). Both pages include templates/briefings/_filter_panel.html.
//
// History: the server names the canonical address of every filter change (HX-Push-Url).
// Typing in the search box would add an entry per pause, and Enter after typing would add
// the same address again; so once a search is under way, typing replaces the current entry,
// and an answer for the address already shown replaces it instead of adding a duplicate.
//
// Filter panel: on narrow screens it is a closed <details> ("Filters (n)"), which works
// without JavaScript; on wide screens it is opened, since it sits beside the results.
"use strict";

(function () {
  document.body.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    const history = event.detail.history;
    if (!history || history.type !== "push") {
      return;
    }
    if (history.path === window.location.pathname + window.location.search) {
      history.type = "replace";
      return;
    }
    const config = event.detail.requestConfig;
    const typing = config && config.triggeringEvent && config.triggeringEvent.type === "keyup";
    if (typing && new URLSearchParams(window.location.search).has("q")) {
      history.type = "replace";
    }
  });

  const panel = document.getElementById("filters-panel");
  const wide = window.matchMedia("(min-width: 52.01rem)");
  function fit() {
    if (panel && wide.matches) {
      panel.open = true;
    }
  }
  fit();
  wide.addEventListener("change", fit);
})();
