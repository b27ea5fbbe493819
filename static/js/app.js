// Small enhancements for every page; each page also works without them. Loaded from our own
// static files only (no inline script), so a Content-Security-Policy of 'self' allows it.
(function () {
  "use strict";

  // Dates and times in the page's language (the member's choice, <html lang>) and the reader's own
  // time zone: <time datetime="…" data-local>.
  var language = document.documentElement.lang || undefined;
  var dateAndTime = new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" });
  var timeOnly = new Intl.DateTimeFormat(language, { timeStyle: "medium" });
  function localize(root) {
    root.querySelectorAll("time[data-local]").forEach(function (element) {
      var when = new Date(element.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      var format = element.hasAttribute("data-time-only") ? timeOnly : dateAndTime;
      element.textContent = format.format(when);
      element.title = new Intl.DateTimeFormat(language, { dateStyle: "full", timeStyle: "long" }).format(when);
    });
  }

  // A part of the page that changes by itself (an import's progress): an element with an id and
  // data-refresh="<url>" is replaced every few seconds by the element with the same id in the page
  // at that url, until the new one no longer asks to be refreshed.
  var REFRESH_MS = 2500;
  function keepFresh(element) {
    window.setTimeout(function () {
      fetch(element.getAttribute("data-refresh"), { credentials: "same-origin" })
        .then(function (answer) {
          if (!answer.ok) throw new Error(String(answer.status));
          return answer.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(element.id);
          if (!fresh) return;
          fresh = document.importNode(fresh, true);
          element.replaceWith(fresh);
          localize(fresh);
          if (fresh.hasAttribute("data-refresh")) keepFresh(fresh);
        })
        .catch(function () { keepFresh(element); });
    }, REFRESH_MS);
  }

  // Settings forms: leaving with unsaved edits asks first. A form the server sent back unsaved
  // (an error, or rules moved but not saved) has data-dirty from the start.
  function serialized(form) {
    return new URLSearchParams(new FormData(form)).toString();
  }
  function guardUnsaved(form) {
    var saved = form.hasAttribute("data-dirty") ? null : serialized(form);
    var leavingBySubmit = false;
    form.addEventListener("submit", function () { leavingBySubmit = true; });
    window.addEventListener("beforeunload", function (event) {
      if (leavingBySubmit || serialized(form) === saved) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localize(document);
    document.querySelectorAll("[data-refresh][id]").forEach(keepFresh);
    document.querySelectorAll("form[data-guard-unsaved]").forEach(guardUnsaved);
  });
})();
