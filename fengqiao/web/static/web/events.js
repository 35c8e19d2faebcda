/* Maps of the event pages and the portal, with Leaflet and no tile server needed.
   [data-event-map]  open events as points (data-points-url) over the user's grids (data-outline-url)
   [data-place-map]  one event: its grid and its point, from the JSON script named by data-geojson-id
   [data-pick-map]   choose a point: a click (or "my location") fills the inputs named by
                     data-lon-input / data-lat-input and fires "change" on the latitude input
   Each map sets data-state="ready" when drawn and keeps its Leaflet map in el.fengqiaoMap. */
(function () {
  "use strict";

  var OUTLINE = { color: "#1d4ed8", weight: 1.5, opacity: 0.8, fillColor: "#3b82f6", fillOpacity: 0.08 };
  var POINT = { radius: 7, color: "#1b3a6b", weight: 2, fillColor: "#3b82f6", fillOpacity: 0.85 };
  var LATE = { radius: 8, color: "#7a1a12", weight: 2, fillColor: "#f04438", fillOpacity: 0.9 };

  function baseMap(el) {
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: Boolean(el.dataset.tileUrl) });
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
    }
    el.fengqiaoMap = map;
    return map;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } }).then(
      function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      }
    );
  }

  function outlines(map, data) {
    var layer = L.geoJSON(data, {
      style: function () { return OUTLINE; },
      pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, POINT); },
      interactive: false
    }).addTo(map);
    if (window.fengqiaoLabels) window.fengqiaoLabels(map, layer);
    return layer;
  }

  function message(el, text) {
    var p = document.createElement("p");
    p.className = "map-message";
    p.textContent = text;
    el.appendChild(p);
  }

  function fit(map, bounds, fallback) {
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
    else map.setView(fallback || [35, 105], fallback ? 15 : 4);
  }

  // A popup built of DOM nodes with user text as text, never an HTML string.
  function popup(p) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    if (typeof p.url === "string" && p.url.charAt(0) === "/" && p.url.charAt(1) !== "/") link.href = p.url;
    link.textContent = p.number || "";
    var title = document.createElement("div");
    title.textContent = p.title || "";
    var status = document.createElement("em");
    status.textContent = p.status || "";
    box.append(link, title, status);
    return box;
  }

  function eventMap(el) {
    var map = baseMap(el);
    var grids = el.dataset.outlineUrl ? getJSON(el.dataset.outlineUrl) : Promise.resolve(null);
    Promise.all([grids, getJSON(el.dataset.pointsUrl)])
      .then(function (results) {
        var bounds = L.latLngBounds([]);
        if (results[0]) bounds.extend(outlines(map, results[0]).getBounds());
        var points = L.geoJSON(results[1], {
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, feature.properties.overdue ? LATE : POINT);
          },
          onEachFeature: function (feature, layer) {
            var p = feature.properties;
            layer.bindPopup(popup(p));
          }
        }).addTo(map);
        if (points.getLayers().length) bounds = points.getBounds().extend(bounds);
        fit(map, bounds);
        el.dataset.points = String(results[1].features.length);
        el.dataset.state = "ready";
      })
      .catch(function () {
        el.dataset.state = "error";
        message(el, el.dataset.errorText || "");
      });
  }

  function placeMap(el) {
    var map = baseMap(el);
    var layer = outlines(map, JSON.parse(document.getElementById(el.dataset.geojsonId).textContent));
    fit(map, layer.getBounds());
    el.dataset.state = "ready";
  }

  function pickMap(el) {
    var map = baseMap(el);
    var lon = document.getElementById(el.dataset.lonInput);
    var lat = document.getElementById(el.dataset.latInput);
    var marker = null;

    function show(latlng) {
      if (marker) marker.setLatLng(latlng);
      else marker = L.circleMarker(latlng, LATE).addTo(map);
    }
    function choose(latlng) {
      show(latlng);
      lon.value = latlng.lng.toFixed(6);
      lat.value = latlng.lat.toFixed(6);
      lon.dispatchEvent(new Event("input", { bubbles: true }));
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      el.dataset.picked = lon.value + "," + lat.value;
    }
    function fromInputs() {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      return isNaN(x) || isNaN(y) ? null : L.latLng(y, x);
    }
    map.on("click", function (e) { choose(e.latlng); });
    [lon, lat].forEach(function (input) {
      input.addEventListener("change", function () {
        var at = fromInputs();
        if (at) { show(at); map.panTo(at); }
      });
    });
    var locate = document.querySelector('[data-locate-for="' + el.id + '"]');
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(
          function (position) {
            var at = L.latLng(position.coords.latitude, position.coords.longitude);
            choose(at);
            map.setView(at, 17);
          },
          function () { message(el, locate.dataset.failedText || ""); },
          { enableHighAccuracy: true, timeout: 15000 }
        );
      });
    }

    var start = fromInputs();
    getJSON(el.dataset.outlineUrl)
      .then(function (data) {
        var bounds = outlines(map, data).getBounds();
        if (data.bbox) {
          var b = data.bbox;
          bounds.extend(L.latLngBounds([b[1], b[0]], [b[3], b[2]]).pad(0.2));
        }
        fit(map, bounds);
      })
      .catch(function () { fit(map, null); })
      .then(function () {
        if (start) { show(start); map.setView(start, Math.max(map.getZoom(), 15)); }
        el.dataset.state = "ready";
      });
  }

  function start() {
    if (typeof L === "undefined") return;
    document.querySelectorAll("[data-event-map]").forEach(eventMap);
    document.querySelectorAll("[data-place-map]").forEach(placeMap);
    document.querySelectorAll("[data-pick-map]").forEach(pickMap);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
