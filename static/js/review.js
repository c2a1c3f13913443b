// The review-drafts page: after a draft is answered in place, move keyboard focus to the next
// draft still waiting (or to the count when none is left), so review goes on from the keyboard.
document.addEventListener("htmx:load", function (event) {
  var answered = event.target;
  if (!answered.classList || !answered.classList.contains("draft")) return;
  var drafts = Array.prototype.slice.call(document.querySelectorAll(".draft"));
  var at = drafts.indexOf(answered);
  var waiting = drafts.slice(at + 1).concat(drafts.slice(0, at)).filter(function (draft) {
    return draft.querySelector("form");
  });
  var next = answered.querySelector("form") ? answered : waiting[0];  // saved or refused: stay on it
  var target = next ? next.querySelector("input:not([type=hidden]), select, button") : document.getElementById("drafts-left");
  if (!target) return;
  if (!next) target.setAttribute("tabindex", "-1");
  target.focus();
});
