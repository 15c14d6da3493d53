// Staff workspace glue (loaded after sqladmin's main.js).
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  // sqladmin deletes through AJAX: send the session's CSRF token as a header.
  if (window.jQuery) {
    jQuery.ajaxSetup({ headers: { "X-CSRF-Token": token } });
    // Vietnamese text for sqladmin's delete confirmation (its own text is English).
    jQuery(document).on("shown.bs.modal", "#modal-delete", function (event) {
      var element = jQuery(event.relatedTarget);
      var name = element.data("name") || "";
      var pk = element.data("pk");
      jQuery("#modal-delete-text").text("Xoá vĩnh viễn " + name + " " + (pk === undefined ? "" : pk) + "?");
    });
  }
  // Forms that undo or overwrite something ask first (no inline handlers: CSP-friendly).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // Every POST form carries the token, including forms added by our own templates.
  document.querySelectorAll('form[method="POST"], form[method="post"]').forEach(function (form) {
    if (!form.querySelector('input[name="csrf_token"]')) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "csrf_token";
      input.value = token;
      form.appendChild(input);
    }
  });
})();
