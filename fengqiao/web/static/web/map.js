/* Draw grid outlines with Leaflet. Works with no tile server: outlines on a plain background,
   fitted to their bounds; a base map is added only when the page names a tile URL.
   Each element with [data-map] takes its GeoJSON from data-geojson-url (fetched) or from the
   JSON script element named by data-geojson-id. When done it sets data-state="ready" and
   data-features to the number of features drawn. */
(function () {
  "use strict";

  var OUTLINE = { color: "#1d4ed8", weight: 2, opacity: 0.9, fillColor: "#3b82f6", fillOpacity: 0.15 };
  var HOVER = { weight: 3, fillOpacity: 0.3 };

  function showMessage(el, text) {
    var p = document.createElement("p");
    p.className = "map-message";
    p.textContent = text;
    el.appendChild(p);
  }

  function countFeatures(data) {
    if (data && data.type === "FeatureCollection") return data.features.length;
    return data ? 1 : 0;
  }

  function draw(el, map, data) {
    var links = el.dataset.links === "on";
    // Thousands of grids (a city) read better with thinner lines.
    var style = countFeatures(data) > 300 ? L.extend({}, OUTLINE, { weight: 1 }) : OUTLINE;
    var layer = L.geoJSON(data, {
      style: function () { return style; },
      onEachFeature: function (feature, featureLayer) {
        var props = feature.properties || {};
        if (props.name) {
          // A DOM node, never an HTML string: a grid's name is typed by people.
          var label = document.createElement("span");
          label.textContent = props.name + (props.code ? " · " + props.code : "");
          featureLayer.bindTooltip(label, { sticky: true });
        }
        if (links && props.url) {
          featureLayer.on("click", function () { window.location.assign(props.url); });
          featureLayer.on("mouseover", function () { featureLayer.setStyle(HOVER); });
          featureLayer.on("mouseout", function () { layer.resetStyle(featureLayer); });
        }
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (window.fengqiaoLabels) window.fengqiaoLabels(map, layer);
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16] });
    } else {
      map.setView([35, 105], 4);
      showMessage(el, el.dataset.emptyText || "");
    }
    el.dataset.features = String(countFeatures(data));
    el.dataset.state = "ready";
  }

  function init(el) {
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: Boolean(el.dataset.tileUrl) });
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
    }
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
      .catch(function () {
        el.dataset.state = "error";
        showMessage(el, el.dataset.errorText || "");
      });
  }

  function start() {
    if (typeof L === "undefined") return;
    document.querySelectorAll("[data-map]").forEach(init);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
