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

  function frenchNumber(n) {
    return n.toLocaleString("fr-FR");
  }

  // Characters left in a text with a length limit (data-maxlength), updated as one types; the
  // counter is the first element the field is described by (its error may follow).
  function count(field) {
    var max = parseInt(field.getAttribute("data-maxlength"), 10);
    var counter = document.getElementById((field.getAttribute("aria-describedby") || "").split(" ")[0]);
    if (!counter || !counter.hasAttribute("data-count")) return;
    var left = max - field.value.length;
    counter.textContent = left < 0
      ? frenchNumber(-left) + " caractères en trop (limite : " + frenchNumber(max) + ")"
      : frenchNumber(left) + " caractères restants sur " + frenchNumber(max);
    counter.classList.toggle("balance-ko", left < 0);
  }

  // A form marked data-unsaved says when what was typed is not saved yet, and leaving the page
  // then asks first; a form the server sent back (an error, a conflict) starts as unsaved.
  function markUnsaved(form) {
    if (form.hasAttribute("data-dirty")) return;
    form.setAttribute("data-dirty", "");
    var state = form.querySelector("[data-unsaved-state]");
    if (state) state.textContent = "Modifications non enregistrées.";
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-maxlength")) count(field);
    var form = field.form;
    if (form && form.hasAttribute("data-unsaved")) markUnsaved(form);
  });

  // A form being sent leaves the page on purpose (the submit listener below).
  var sending = false;

  window.addEventListener("beforeunload", function (event) {
    if (!sending && document.querySelector("form[data-unsaved][data-dirty]")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Work under way: the button that sent the form is busy (and not pressed twice) until the
  // answer comes; htmx marks its own requests, a full page submit until the next page.
  function setBusy(button, busy) {
    if (!button) return;
    if (busy) {
      button.setAttribute("aria-busy", "true");
      button.disabled = true;
    } else {
      button.removeAttribute("aria-busy");
      button.disabled = false;
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    sending = true;
    // After every other listener (a refused confirmation, htmx taking the request over).
    setTimeout(function () {
      if (event.defaultPrevented) sending = false;
      // A search or a filter (GET) may answer with a download: the page stays, so does the button.
      if (event.defaultPrevented || (form.getAttribute("method") || "get").toLowerCase() !== "post") return;
      form.removeAttribute("data-dirty");
      setBusy(event.submitter || form.querySelector("button[type=submit], button:not([type])"), true);
    }, 0);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.tagName === "FORM") elt.removeAttribute("data-dirty");
    var button = elt.tagName === "FORM" ? (event.detail.requestConfig && event.detail.requestConfig.triggeringEvent && event.detail.requestConfig.triggeringEvent.submitter) || elt.querySelector("button[type=submit], button:not([type])") : (elt.tagName === "BUTTON" ? elt : null);
    if (button) {
      elt._busyButton = button;
      setBusy(button, true);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt._busyButton) {
      setBusy(elt._busyButton, false);
      elt._busyButton = null;
    }
  });

  // A page shown again from the back-forward cache: its buttons are no longer busy.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("button[aria-busy=true]").forEach(function (button) {
      setBusy(button, false);
    });
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

  // A page sent back with its errors: the focus goes to their summary, not to the top of <body>.
  var summary = document.querySelector(".form-errors[tabindex='-1']");
  if (summary) summary.focus();

  // Confirmation for destructive actions declared with data-confirm.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
