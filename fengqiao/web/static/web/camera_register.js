// The owner's camera registration: fill longitude and latitude from the phone's position.
(function () {
  "use strict";
  var button = document.getElementById("use-my-location");
  var lon = document.getElementById("id_lon");
  var lat = document.getElementById("id_lat");
  if (!button || !lon || !lat || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (position) {
      lon.value = position.coords.longitude.toFixed(6);
      lat.value = position.coords.latitude.toFixed(6);
    });
  });
})();
