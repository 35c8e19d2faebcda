// The kiosk of a smart police office (智慧警务室): after a while with nobody touching it, the
// screen goes back to the kiosk's start page and everything typed is cleared, so the next
// person finds nothing of the one before. A warning shows 15 seconds before.
(function () {
  "use strict";
  var body = document.body;
  if (!body || !body.classList.contains("kiosk")) return;
  var home = body.getAttribute("data-kiosk-home");
  var idle = parseInt(body.getAttribute("data-idle-seconds"), 10) || 90;
  var warning = document.getElementById("kiosk-idle");
  var warnTimer = null;
  var resetTimer = null;

  function clearForms() {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) forms[i].reset();
    var fields = document.querySelectorAll("input:not([type=hidden]):not([type=submit]), textarea");
    for (var j = 0; j < fields.length; j++) {
      if (fields[j].type === "checkbox" || fields[j].type === "radio") fields[j].checked = false;
      else fields[j].value = "";
    }
  }

  function reset() {
    clearForms();
    // replace: the back button does not bring the filled page back either
    window.location.replace(home);
  }

  function touched() {
    if (warning) warning.hidden = true;
    clearTimeout(warnTimer);
    clearTimeout(resetTimer);
    warnTimer = setTimeout(function () {
      if (warning) warning.hidden = false;
    }, Math.max(idle - 15, 1) * 1000);
    resetTimer = setTimeout(reset, idle * 1000);
  }

  ["pointerdown", "keydown", "input", "touchstart"].forEach(function (name) {
    document.addEventListener(name, touched, { passive: true });
  });
  // A page the browser brings back from its cache (back button) is cleared, not shown filled.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) clearForms();
  });
  touched();
})();
