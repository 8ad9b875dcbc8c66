/* Xinfang page behaviour. No inline scripts anywhere: everything is wired here from
   data- attributes, so a strict Content-Security-Policy can forbid inline code.
   Every page works without this file; it only saves keystrokes. */
(function () {
  "use strict";

  // The language menu switches as soon as a language is chosen.
  function wireAutosubmit(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
      });
    });
    document.documentElement.classList.add("js");
  }

  // Ctrl+Enter (⌘+Enter on a Mac) submits forms marked data-ctrl-enter, from any field:
  // clerks register dozens of letters a day without reaching for the mouse.
  function wireCtrlEnter() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
      var form = event.target.closest && event.target.closest("form[data-ctrl-enter]");
      if (!form) return;
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
  }

  // Repeating rows (petitioners, involved persons): a <template> holds one row whose
  // field names contain __prefix__, replaced by the next free index.
  function renumber(container) {
    container.querySelectorAll("[data-row-number]").forEach(function (span, i) {
      span.textContent = String(i + 1);
    });
  }

  function addRow(button) {
    var template = document.getElementById(button.dataset.addRow);
    var container = document.getElementById(button.dataset.target);
    if (!template || !container) return;
    var index = parseInt(container.dataset.nextIndex || "0", 10);
    container.dataset.nextIndex = String(index + 1);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    container.appendChild(row);
    renumber(container);
    var first = row.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  function removeRow(button) {
    var row = button.closest("[data-row]");
    var container = row && row.parentElement;
    if (!row) return;
    row.remove();
    if (container) renumber(container);
  }

  function wireRows() {
    document.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-row]");
      if (add) { event.preventDefault(); addRow(add); return; }
      var remove = event.target.closest("[data-remove-row]");
      if (remove) { event.preventDefault(); removeRow(remove); }
    });
  }

  // Blocks that belong to some channels only (reception record: visit and call, Rule 4.2;
  // sending organ: superior and assistance). A hidden block is also disabled so that it
  // is not submitted; the server decides what is valid either way.
  function syncChannelBlocks(form) {
    var checked = form.querySelector("input[name=channel]:checked");
    var channel = checked ? checked.value : "";
    form.querySelectorAll("fieldset[data-channels]").forEach(function (block) {
      var show = block.dataset.channels.split(" ").indexOf(channel) !== -1;
      block.hidden = !show;
      block.disabled = !show;
    });
  }

  function wireChannels() {
    document.querySelectorAll("form.registration").forEach(function (form) {
      form.addEventListener("change", function (event) {
        if (event.target.name === "channel") syncChannelBlocks(form);
      });
      // No sync on load: the server shows a block the channel does not use when it holds
      // input or an error, so that the message is seen.
    });
  }

  // Action forms on the petition page (htmx): "Cancel" closes the form in place; the
  // form that opens is brought into view (a leader on a phone would not see it appear),
  // and after an action the page scrolls up to the success message and the new status.
  function wireActionForms() {
    document.addEventListener("click", function (event) {
      var close = event.target.closest("[data-close-form]");
      if (!close) return;
      var holder = close.closest("#action-form");
      if (!holder) return;  // the full-page form: follow the link back to the petition
      event.preventDefault();
      holder.innerHTML = "";
      var first = document.querySelector("#actions [data-action]");
      if (first) first.focus();
    });
    document.addEventListener("htmx:afterSwap", function (event) {
      var target = event.detail.target;
      if (!target) return;
      if (target.id === "action-form" && target.firstElementChild) {
        target.firstElementChild.scrollIntoView({ block: "start" });
      }
      // A form that comes back with errors puts the cursor on the first field to correct;
      // a new form on its first field (autofocus), e.g. the password when signing off.
      var form = target.matches && target.matches("form[data-action-form]") ? target
        : target.querySelector && target.querySelector("form[data-action-form]");
      if (form) {
        var field = form.querySelector("[aria-invalid=true]") || form.querySelector("[autofocus]");
        if (field && document.activeElement !== field) field.focus();
      }
      var body = document.getElementById("petition-body");
      if (body && (target === body || target.id === "petition-body" || !document.contains(target))) {
        body.scrollIntoView({ block: "start" });
      }
    });
  }

  // A form that came back with errors: the cursor goes to the first field to correct
  // (not to the top of the page); the summary's links lead to each of the others.
  function focusFirstError() {
    var form = document.querySelector("form.registration");
    if (!form || !document.getElementById("form-errors")) return;
    var field = form.querySelector("[aria-invalid=true]:not([type=hidden])");
    if (field && !field.closest("[hidden]")) field.focus();
  }

  // Searchable choices: typing in a filter box narrows a <select> (Enter takes the first
  // match) or a list of tick boxes. Chinese names cannot be reached with arrow keys alone.
  function normalise(text) { return (text || "").replace(/\s+/g, "").toLowerCase(); }

  function filterSelect(input) {
    var select = document.getElementById(input.dataset.filterSelect);
    if (!select) return null;
    var needle = normalise(input.value);
    var first = null;
    Array.prototype.forEach.call(select.options, function (option) {
      var match = !option.value || !needle || normalise(option.text).indexOf(needle) !== -1 ||
        option.value.indexOf(needle) !== -1;
      option.hidden = !match;
      if (match && option.value && !first) first = option;
    });
    return first;
  }

  function filterList(input) {
    var list = document.getElementById(input.dataset.filterList);
    if (!list) return;
    var needle = normalise(input.value);
    list.querySelectorAll("li").forEach(function (item) {
      item.hidden = !!needle && normalise(item.textContent).indexOf(needle) === -1;
    });
  }

  function wireFilters() {
    document.addEventListener("input", function (event) {
      var input = event.target;
      if (input.dataset && input.dataset.filterSelect) {
        var first = filterSelect(input);
        if (first) first.selected = true;
      } else if (input.dataset && input.dataset.filterList) {
        filterList(input);
      }
    });
    document.addEventListener("keydown", function (event) {
      var input = event.target;
      if (event.key !== "Enter" || event.ctrlKey || event.metaKey || !input.dataset) return;
      if (input.dataset.filterSelect) {
        // Enter keeps the match and moves on instead of submitting the form half filled.
        event.preventDefault();
        var first = filterSelect(input);
        if (first) first.selected = true;
        var next = input.form && input.form.querySelector("#id_title");
        if (next) next.focus();
      } else if (input.dataset.filterList) {
        event.preventDefault();
        var list = document.getElementById(input.dataset.filterList);
        var box = list && list.querySelector("li:not([hidden]) input[type=checkbox]");
        if (box) { box.checked = !box.checked; input.select(); }
      }
    });
  }

  function start() {
    wireAutosubmit(document);
    wireCtrlEnter();
    wireRows();
    wireChannels();
    wireActionForms();
    wireFilters();
    focusFirstError();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
