/* The place picker (web.forms.PlacePicker): type part of a name, in Chinese or pinyin, and pick a
   suggestion with the mouse, a finger or the keyboard (arrows, Enter, Escape). Picking puts the
   place's key in the hidden input, its name in the text input, zooms the page's map there and,
   when the picker names them, fills the longitude and latitude inputs with the place's point.
   Suggestions are built as DOM nodes with their text set as text, never as HTML. */
(function () {
  "use strict";

  var DELAY = 200;

  function findMap(picker) {
    var named = picker.dataset.mapId && document.getElementById(picker.dataset.mapId);
    if (named && named.fengqiaoMap) return named.fengqiaoMap;
    var maps = document.querySelectorAll("[data-map], [data-pick-map], [data-event-map], [data-place-map]");
    for (var i = 0; i < maps.length; i++) if (maps[i].fengqiaoMap) return maps[i].fengqiaoMap;
    return null;
  }

  function zoomTo(picker, item) {
    var map = findMap(picker);
    if (!map || typeof L === "undefined") return;
    var b = item.dataset.bounds ? item.dataset.bounds.split(",").map(Number) : null;
    if (b && b.length === 4 && b.every(isFinite)) {
      map.fitBounds(L.latLngBounds([b[1], b[0]], [b[3], b[2]]), { maxZoom: 16 });
    } else if (item.dataset.lon && item.dataset.lat) {
      map.setView([Number(item.dataset.lat), Number(item.dataset.lon)], 17);
    }
    var el = map.getContainer();
    el.dataset.zoomedTo = item.dataset.label || "";
  }

  function fillPoint(picker, item) {
    var lon = picker.dataset.lonInput && document.getElementById(picker.dataset.lonInput);
    var lat = picker.dataset.latInput && document.getElementById(picker.dataset.latInput);
    if (!lon || !lat || !item.dataset.lon || !item.dataset.lat) return;
    lon.value = Number(item.dataset.lon).toFixed(6);
    lat.value = Number(item.dataset.lat).toFixed(6);
    lon.dispatchEvent(new Event("input", { bubbles: true }));
    lat.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function option(place, index, listId) {
    var li = document.createElement("li");
    li.setAttribute("role", "option");
    li.id = listId + "-" + index;
    li.tabIndex = -1;
    li.dataset.value = place.value || "";
    li.dataset.label = place.label || "";
    if (place.point) { li.dataset.lon = String(place.point[0]); li.dataset.lat = String(place.point[1]); }
    if (place.bounds) li.dataset.bounds = place.bounds.join(",");
    var label = document.createElement("span");
    label.className = "place-label";
    label.textContent = place.label || "";
    var kind = document.createElement("span");
    kind.className = "place-kind";
    kind.textContent = [place.kind_label, place.detail].filter(Boolean).join(" · ");
    li.append(label, " ", kind);
    return li;
  }

  function setup(picker) {
    var text = picker.querySelector('input[type="search"]');
    var hidden = picker.querySelector("[data-place-value]");
    var list = picker.querySelector(".place-suggestions");
    var timer = null, asked = 0, active = -1;

    function items() { return Array.prototype.slice.call(list.querySelectorAll("li[role=option]")); }
    function open(on) {
      list.hidden = !on;
      text.setAttribute("aria-expanded", on ? "true" : "false");
      if (!on) { active = -1; text.removeAttribute("aria-activedescendant"); }
    }
    function highlight(index) {
      var all = items();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      text.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function pick(li) {
      clearTimeout(timer); // a search still waiting to be sent, or on its way, is for older text
      asked++;
      hidden.value = li.dataset.value || "";
      text.value = li.dataset.label || "";
      picker.dataset.picked = text.value;
      open(false);
      fillPoint(picker, li);
      zoomTo(picker, li);
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function show(results) {
      var nodes = results.map(function (place, i) { return option(place, i, list.id); });
      if (!nodes.length) {
        var none = document.createElement("li");
        none.className = "place-none";
        none.textContent = picker.dataset.emptyText || "";
        nodes = [none];
      }
      list.replaceChildren.apply(list, nodes);
      // Over the page, not in its flow: opening and closing it never moves what is below.
      list.classList.add("floating");
      open(true);
    }
    function ask() {
      var q = text.value.trim();
      if (!q) { list.replaceChildren(); open(false); return; }
      var url = new URL(picker.dataset.searchUrl, window.location.href);
      url.searchParams.set("q", q);
      if (picker.dataset.kinds) url.searchParams.set("kinds", picker.dataset.kinds);
      var mine = ++asked;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) { if (mine === asked) show(data.results || []); })
        .catch(function () { if (mine === asked) open(false); });
    }

    text.addEventListener("input", function () {
      hidden.value = ""; // what is typed is no longer the place picked
      delete picker.dataset.picked;
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    text.addEventListener("keydown", function (e) {
      var all = items();
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (list.hidden && all.length) open(true);
        highlight(active + (e.key === "ArrowDown" ? 1 : -1));
        e.preventDefault();
      } else if (e.key === "Enter" && !list.hidden && active >= 0 && all[active]) {
        e.preventDefault(); // pick, do not submit the form
        pick(all[active]);
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        open(false);
      }
    });
    // A click or a tap: on the option itself, before the input loses focus and the list closes.
    list.addEventListener("click", function (e) {
      var li = e.target.closest("li[role=option]");
      if (li) pick(li);
    });
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });
    text.addEventListener("blur", function () {
      setTimeout(function () { if (!picker.contains(document.activeElement)) open(false); }, 150);
    });
    picker.dataset.ready = "1";
  }

  function start() {
    document.querySelectorAll("[data-place-picker]").forEach(function (picker) {
      if (!picker.dataset.ready) setup(picker);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // Forms that htmx swaps in get their pickers too.
  document.addEventListener("htmx:afterSettle", start);
})();
