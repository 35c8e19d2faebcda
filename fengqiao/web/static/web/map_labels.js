/* Names on outline maps as the user zooms in: from LABEL_ZOOM on, the grids and communities in
   view carry their name as a permanent label; further out the name shows on hover only (a city's
   thousands of names at once would be unreadable). Labels are DOM nodes whose text is set as text.
   window.fengqiaoLabels(map, layer) is called by map.js and events.js once a layer is drawn. */
(function () {
  "use strict";

  var LABEL_ZOOM = 14;

  function labelNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  window.fengqiaoLabels = function (map, layer) {
    function relabel() {
      var near = map.getZoom() >= LABEL_ZOOM;
      var view = map.getBounds();
      var shown = 0;
      layer.eachLayer(function (featureLayer) {
        var props = (featureLayer.feature && featureLayer.feature.properties) || {};
        if (!props.name || !featureLayer.getBounds) return;
        var permanent = near && view.intersects(featureLayer.getBounds());
        if (permanent === Boolean(featureLayer.fengqiaoPermanent)) {
          if (permanent) shown++;
          return; // unchanged (far out, the page's own hover label stays)
        }
        featureLayer.unbindTooltip();
        featureLayer.bindTooltip(
          labelNode(props.name),
          permanent ? { permanent: true, direction: "center", className: "map-label" } : { sticky: true }
        );
        featureLayer.fengqiaoPermanent = permanent;
        if (permanent) shown++;
      });
      map.getContainer().dataset.labels = String(shown);
    }
    map.on("zoomend moveend", relabel);
    map.whenReady(relabel); // the layer is drawn before the map is fitted to it: no view yet
  };
})();
