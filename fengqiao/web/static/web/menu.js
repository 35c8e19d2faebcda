/* The main menu (base.html): on a phone, the menu button shows and hides the links; a group
   (统计) closes when one clicks elsewhere or presses Escape. No text is inserted. */
(function () {
  "use strict";

  function setUp() {
    var bar = document.querySelector(".topbar");
    var button = bar && bar.querySelector(".menu-button");
    if (button) {
      button.hidden = false;
      bar.classList.add("menu-ready");
      button.addEventListener("click", function () {
        var open = bar.classList.toggle("menu-open");
        button.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    var groups = Array.prototype.slice.call(document.querySelectorAll(".nav-group"));
    document.addEventListener("click", function (event) {
      groups.forEach(function (group) {
        if (group.open && !group.contains(event.target)) group.open = false;
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      groups.forEach(function (group) {
        if (group.open) {
          group.open = false;
          group.querySelector("summary").focus();
        }
      });
      if (button && bar.classList.contains("menu-open")) {
        bar.classList.remove("menu-open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
