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

  // htmx 2 swaps no error response (only 400 and 422, a form with its errors: see htmx-config in
  // base.html): without this, a refused action (403 on a frozen record, a withdrawn right) would
  // look like a dead button. Show the server's message, or a generic one, in the messages area.
  function showError(text) {
    var main = document.getElementById("contenu");
    // Its own block: the server's messages sit in a polite live region, an alert is not nested.
    var area = main.querySelector("[data-htmx-errors]");
    if (!area) {
      area = document.createElement("div");
      area.className = "messages";
      area.setAttribute("data-htmx-errors", "");
      main.insertBefore(area, main.firstChild);
    }
    var message = document.createElement("p");
    message.className = "message message-error";
    message.setAttribute("role", "alert");
    message.textContent = text;
    area.replaceChildren(message);
    area.scrollIntoView({ block: "nearest" });
  }

  // The error pages (403, 404, 500…) mark their explanation with data-error-message.
  function errorText(xhr) {
    var type = xhr.getResponseHeader("Content-Type") || "";
    var text = "";
    if (type.indexOf("text/html") === 0) {
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var explanation = page.querySelector("[data-error-message]");
      text = explanation ? explanation.textContent : "";
    } else if (type.indexOf("text/plain") === 0) {
      text = xhr.responseText;
    }
    text = text.trim().slice(0, 500);
    return text || "Le serveur n'a pas pu traiter la demande (erreur " + xhr.status + ") : réessayez dans quelques instants.";
  }

  document.addEventListener("htmx:responseError", function (event) {
    showError(errorText(event.detail.xhr));
  });

  document.addEventListener("htmx:sendError", function () {
    showError("La connexion au serveur a échoué : réessayez.");
  });

  // A later request that succeeds makes the last error stale.
  document.addEventListener("htmx:afterRequest", function (event) {
    var area = event.detail.successful && document.querySelector("[data-htmx-errors]");
    if (area) area.replaceChildren();
  });

  // The main menu folds behind its « Menu » button on a narrow screen. The CSS folds it only once
  // the menu is marked data-collapsible here: without JavaScript its entries simply wrap.
  var toggle = document.querySelector(".main-nav .nav-toggle");
  if (toggle) {
    var nav = toggle.closest(".main-nav");
    nav.setAttribute("data-collapsible", "");
    toggle.addEventListener("click", function () {
      toggle.setAttribute("aria-expanded", toggle.getAttribute("aria-expanded") === "true" ? "false" : "true");
    });
    // Escape closes the open menu and gives the focus back to its button.
    nav.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || toggle.getAttribute("aria-expanded") !== "true") return;
      toggle.setAttribute("aria-expanded", "false");
      if (toggle.offsetParent !== null) toggle.focus();
    });
  }

  // Confirmation for destructive actions declared with data-confirm.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
