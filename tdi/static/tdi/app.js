// Small behaviours, attached with addEventListener (no inline handlers under the CSP).
(function () {
  "use strict";

  // After an htmx swap, move the focus to the new content so that keyboard and screen reader
  // users know something changed.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var focus = target.querySelector("[data-focus-after-swap]") || target.querySelector(".errorlist, [aria-invalid='true']");
    if (focus) {
      if (!focus.hasAttribute("tabindex")) focus.setAttribute("tabindex", "-1");
      focus.focus();
    }
  });

  // A row added to an editable table: focus its first field.
  document.addEventListener("htmx:afterSettle", function (event) {
    var rows = event.detail.target;
    if (rows && rows.matches && rows.matches("tbody[data-formset]")) {
      var last = rows.querySelector("tr:last-child input, tr:last-child select");
      if (last) last.focus();
    }
  });

  // Characters left in a text with a length limit (data-maxlength), updated as one types.
  document.addEventListener("input", function (event) {
    var field = event.target;
    var max = field.getAttribute && field.getAttribute("data-maxlength");
    if (!max) return;
    var counter = document.getElementById(field.getAttribute("aria-describedby"));
    var remaining = counter && counter.querySelector("[data-remaining]");
    if (remaining) remaining.textContent = String(parseInt(max, 10) - field.value.length);
  });

  // Confirmation for destructive actions declared with data-confirm.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
