/* The hotspot pages' maps, with Leaflet and no tile server needed.
   [data-hotspot-map]   grids coloured by their Gi* confidence bin, and the point density as
                        rectangles (toggled by the checkbox named by data-density-toggle)
   [data-emerging-map]  grids coloured by their emerging-hotspot pattern
   Values come from the JSON script element named by data-values-id (keyed by grid code), the
   outlines from data-outline-url. Colours are read from the legend's swatches (hotspots.css).
   Every text goes in as text (textContent), never as HTML. Sets data-state="ready" when drawn and
   data-coloured to the number of grids given a colour other than "not significant". */
(function () {
  "use strict";

  var BINS = { "99": "hot99", "95": "hot95", "90": "hot90", "0": "none", "-90": "cold90", "-95": "cold95", "-99": "cold99" };

  function swatchColour(className) {
    var probe = document.createElement("span");
    probe.className = "swatch " + className;
    probe.hidden = false;
    probe.style.position = "absolute";
    document.body.appendChild(probe);
    var colour = window.getComputedStyle(probe).backgroundColor;
    probe.remove();
    return colour;
  }

  function baseMap(el) {
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: Boolean(el.dataset.tileUrl) });
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
    }
    el.fengqiaoMap = map;
    return map;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function message(el, text) {
    var p = document.createElement("p");
    p.className = "map-message";
    p.textContent = text;
    el.appendChild(p);
  }

  function tooltip(lines) {
    var box = document.createElement("div");
    lines.forEach(function (line, i) {
      var row = document.createElement(i === 0 ? "strong" : "div");
      row.textContent = line;
      box.appendChild(row);
    });
    return box;
  }

  function drawGrids(el, map, outlines, styleOf, linesOf) {
    var coloured = 0;
    var layer = L.geoJSON(outlines, {
      style: function (feature) {
        var s = styleOf(feature.properties || {});
        if (s.coloured) coloured += 1;
        return { color: "#475467", weight: outlines.features.length > 300 ? 0.5 : 1, opacity: 0.7, fillColor: s.fill, fillOpacity: s.coloured ? 0.75 : 0.25 };
      },
      onEachFeature: function (feature, featureLayer) {
        featureLayer.bindTooltip(tooltip(linesOf(feature.properties || {})), { sticky: true });
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    else map.setView([35, 105], 4);
    el.dataset.coloured = String(coloured);
    return layer;
  }

  function densityLayer(density) {
    var group = L.layerGroup();
    if (!density || !density.bounds || !density.cells.length) return group;
    var west = density.bounds[0], south = density.bounds[1], east = density.bounds[2], north = density.bounds[3];
    var dx = (east - west) / density.cols, dy = (north - south) / density.rows;
    var colour = swatchColour("density");
    density.cells.forEach(function (cell) {
      var r = cell[0], c = cell[1], share = cell[2] / density.peak;
      L.rectangle([[south + r * dy, west + c * dx], [south + (r + 1) * dy, west + (c + 1) * dx]], {
        stroke: false, fillColor: colour, fillOpacity: 0.65 * share, interactive: false
      }).addTo(group);
    });
    return group;
  }

  function hotspotMap(el) {
    var values = JSON.parse(document.getElementById(el.dataset.valuesId).textContent);
    var colours = {};
    Object.keys(BINS).forEach(function (bin) { colours[bin] = swatchColour(BINS[bin]); });
    var map = baseMap(el);
    getJSON(el.dataset.outlineUrl).then(function (outlines) {
      outlines.features = outlines.features.filter(function (f) { return values.grids[f.properties.code]; });
      drawGrids(el, map, outlines, function (p) {
        var v = values.grids[p.code];
        return { fill: colours[String(v.bin)] || colours["0"], coloured: v.bin !== 0 };
      }, function (p) {
        var v = values.grids[p.code];
        return [p.name + " · " + p.code, v.count + " " + (el.dataset.countLabel || ""), "z " + v.z + " · p " + v.p];
      });
      var density = densityLayer(values.density).addTo(map);
      var toggle = document.getElementById(el.dataset.densityToggle);
      if (toggle) {
        toggle.addEventListener("change", function () {
          if (toggle.checked) density.addTo(map);
          else map.removeLayer(density);
        });
      }
      el.dataset.densityCells = String(values.density.cells.length);
      el.dataset.state = "ready";
    }).catch(function () {
      el.dataset.state = "error";
      message(el, el.dataset.errorText || "");
    });
  }

  function emergingMap(el) {
    var values = JSON.parse(document.getElementById(el.dataset.valuesId).textContent);
    var map = baseMap(el);
    var cache = {};
    function colour(pattern) {
      if (!(pattern in cache)) cache[pattern] = swatchColour("pattern-" + pattern);
      return cache[pattern];
    }
    getJSON(el.dataset.outlineUrl).then(function (outlines) {
      outlines.features = outlines.features.filter(function (f) { return values[f.properties.code]; });
      drawGrids(el, map, outlines, function (p) {
        var v = values[p.code];
        return { fill: colour(v.pattern), coloured: v.pattern !== "none" };
      }, function (p) {
        return [p.name + " · " + p.code, values[p.code].label];
      });
      el.dataset.state = "ready";
    }).catch(function () {
      el.dataset.state = "error";
      message(el, el.dataset.errorText || "");
    });
  }

  function start() {
    if (typeof L === "undefined") return;
    document.querySelectorAll("[data-hotspot-map]").forEach(hotspotMap);
    document.querySelectorAll("[data-emerging-map]").forEach(emergingMap);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
