/* Small helpers of the registry's forms; the forms work without them. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    // The "X" key next to an ID-number field: numeric keypads on phones have no letter X.
    var key = event.target.closest("[data-append-to]");
    if (key) {
      var input = document.getElementById(key.getAttribute("data-append-to"));
      if (input) {
        input.value = input.value + key.getAttribute("data-append");
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.focus();
      }
    }
  });
})();

/* The person form: the floating-population and overseas fieldsets show for their resident type
   (and whenever they hold an error), so a phone screen is not a wall of empty fields. */
(function () {
  "use strict";

  function sync() {
    var select = document.querySelector("select[name=resident_type]");
    if (!select) return;
    document.querySelectorAll("fieldset[data-when]").forEach(function (fieldset) {
      var wanted = fieldset.getAttribute("data-when") === select.value;
      fieldset.hidden = !(wanted || fieldset.querySelector(".has-error"));
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[name=resident_type]")) sync();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", sync);
  else sync();
})();
