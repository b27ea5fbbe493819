// Small enhancements for the settings tabs; every form also works without them. Its sentences come
// from the djangojs catalogue (the page loads /jsi18n/ first: gettext, pgettext, interpolate).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function formValue(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) return checked.type === "checkbox" ? "on" : checked.value;
    var field = form.querySelector('[name="' + name + '"]');
    return field && field.type !== "radio" && field.type !== "checkbox" ? field.value : "";
  }

  // Parts of a form that only matter for one choice: data-show-when="name=value" or "name" (checkbox).
  function syncConditional(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (part) {
      var rule = part.getAttribute("data-show-when").split("=");
      var value = formValue(form, rule[0]);
      part.hidden = rule.length > 1 ? value !== rule[1] : value !== "on";
    });
    form.querySelectorAll(".stripe-field-pair").forEach(function (pair) {
      var select = pair.querySelector(".stripe-choice select");
      var key = pair.querySelector(".metadata-key-field");
      if (select && key) key.hidden = select.value !== "metadata";
    });
  }

  function optionText(select) {
    return select.options[select.selectedIndex] ? select.options[select.selectedIndex].text : "";
  }

  // Field mappings: Edit opens a row's controls; the row then shows (and highlights) the change.
  function showRow(row) {
    var select = row.querySelector(".stripe-choice select");
    var key = row.querySelector(".metadata-key-field input");
    var text = select.value === "metadata"
      ? interpolate(gettext("Metadata “%(key)s”"), { key: key.value }, true)
      : optionText(select);
    row.querySelector('[data-shown="stripe"]').textContent = text;
    var update = row.querySelector('select[name$="__update"]');
    row.querySelector('[data-shown="update"]').textContent = select.value ? optionText(update) : "—";
    var direction = row.querySelector('select[name$="__direction"]');
    row.querySelector('[data-shown="direction"]').textContent = select.value ? optionText(direction) : "—";
  }

  function setUpMappingRows(form) {
    form.querySelectorAll(".mapping-row").forEach(function (row) {
      var button = row.querySelector(".edit-row");
      if (!button) return;
      button.addEventListener("click", function () {
        var editing = row.classList.toggle("editing");
        var label = button.getAttribute("data-label");
        button.textContent = editing ? pgettext("editing a row", "Done") : gettext("Edit");
        button.setAttribute("aria-label", interpolate(
          editing ? gettext("Done with %(field)s") : gettext("Edit %(field)s"), { field: label }, true));
        button.setAttribute("aria-expanded", editing ? "true" : "false");
        if (editing) row.querySelector("select").focus();
        else showRow(row);
      });
      row.addEventListener("change", function () {
        row.classList.add("changed");
        showRow(row);
        var note = document.getElementById("unsaved-note");
        if (note) note.hidden = false;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("main form").forEach(function (form) {
      syncConditional(form);
      form.addEventListener("change", function () { syncConditional(form); });
    });
    var mappings = document.getElementById("field-mappings");
    if (mappings) setUpMappingRows(mappings);
  });
})();
