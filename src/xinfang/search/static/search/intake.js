// Registration form: preselect the suggested category while the clerk has not chosen one,
// and let a suggestion button set it. The clerk confirms by registering; nothing else is saved.
(function () {
  "use strict";
  function select() { return document.getElementById("id_category"); }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.target || event.target.id !== "similar-results") { return; }
    var box = event.target.querySelector("[data-suggested-category]");
    var field = select();
    if (!box || !field) { return; }
    var code = box.getAttribute("data-suggested-category");
    if (code && (field.value === "" || field.dataset.suggested === "1")) {
      field.value = code;
      field.dataset.suggested = "1";
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_category") { delete event.target.dataset.suggested; }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-use-category]");
    var field = select();
    if (button && field) {
      field.value = button.getAttribute("data-use-category");
      delete field.dataset.suggested;
    }
  });
})();
