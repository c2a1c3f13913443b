// "Copy citation" buttons on briefing pages.
//
// Each button names the element holding its citation in data-copy. The buttons are
// `hidden` in the HTML and shown here, so without JavaScript a reader sees the citation
// text (which can be selected and copied by hand) and no button that does nothing.
// Loaded with `defer`, no inline handlers: it works under a strict Content-Security-Policy.
"use strict";

(function () {
  function citation(element) {
    // The text as a reader sees it: template line breaks collapsed to single spaces.
    return element.textContent.replace(/\s+/g, " ").trim();
  }

  function selectContents(element) {
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function say(button, message) {
    const status = button.parentElement.querySelector(".copy-status");
    if (status) {
      status.textContent = message;
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    const target = document.getElementById(button.dataset.copy);
    if (!target) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", async function () {
      try {
        await navigator.clipboard.writeText(citation(target));
        say(button, "Copied.");
      } catch (error) {
        // No clipboard access (an insecure origin, or permission refused): select the
        // text so that the reader can copy it with the keyboard.
        selectContents(target);
        say(button, "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
      }
    });
  });
})();
