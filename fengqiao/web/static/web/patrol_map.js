/* The patrol maps: tracks as lines, and (on the overview) the grids left unpatrolled outlined in
   red. Each [data-patrol-map] takes its GeoJSON from data-geojson-url (fetched) or from the JSON
   script element named by data-geojson-id; when drawn it sets data-state="ready" and
   data-tracks / data-stale to what it drew. Names reach the map as text, never as HTML. */
(function () {
  "use strict";

  var TRACK = { color: "#1d4ed8", weight: 4, opacity: 0.85 };
  var STALE = { color: "#dc2626", weight: 2, opacity: 0.9, fillColor: "#fca5a5", fillOpacity: 0.2 };

  function message(el, text) {
    var p = document.createElement("p");
    p.className = "map-message";
    p.textContent = text;
    el.appendChild(p);
  }

  function draw(el, map, data) {
    var counts = { track: 0, stale: 0 };
    var layer = L.geoJSON(data, {
      style: function (feature) { return (feature.properties || {}).kind === "stale" ? STALE : TRACK; },
      pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, TRACK); },
      onEachFeature: function (feature, featureLayer) {
        var props = feature.properties || {};
        counts[props.kind === "stale" ? "stale" : "track"] += 1;
        if (props.name) {
          var label = document.createElement("span");
          label.textContent = props.name + (props.started ? " · " + props.started : "") + (props.code ? " · " + props.code : "");
          featureLayer.bindTooltip(label, { sticky: true });
        }
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
    else map.setView([35, 105], 4);
    el.dataset.tracks = String(counts.track);
    el.dataset.stale = String(counts.stale);
    el.dataset.state = "ready";
  }

  function init(el) {
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
    el.fengqiaoMap = map;
    if (el.dataset.geojsonId) {
      draw(el, map, JSON.parse(document.getElementById(el.dataset.geojsonId).textContent));
      return;
    }
    fetch(el.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { draw(el, map, data); })
      .catch(function () { el.dataset.state = "error"; message(el, el.dataset.errorText || ""); });
  }

  function start() {
    if (typeof L === "undefined") return;
    document.querySelectorAll("[data-patrol-map]").forEach(init);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
