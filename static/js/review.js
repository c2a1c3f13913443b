// The review-drafts page: after a draft is answered in place, move keyboard focus to the next
// draft still waiting (or to the count when none is left), so review goes on from the keyboard.
document.addEventListener("htmx:afterSwap", function (event) {
  var answered = document.getElementById(event.detail.target.id);
  if (!answered || !answered.classList.contains("draft")) return;
  var drafts = Array.prototype.slice.call(document.querySelectorAll(".draft"));
  var after = drafts.slice(drafts.indexOf(answered) + 1).concat(drafts.slice(0, drafts.indexOf(answered)));
  var next = after.find(function (draft) { return draft.querySelector("form"); });
  if (answered.querySelector("form")) next = answered;  // saved or refused: stay on it
  var target = next ? next.querySelector("input, select, button") : document.getElementById("drafts-left");
  if (target) { if (!next) target.setAttribute("tabindex", "-1"); target.focus(); }
});
