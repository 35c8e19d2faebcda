// "I am at the scene": send the phone's position with the arrival when it gives one in time; without
// it (refused, no fix) the arrival is still recorded, by the server's clock.
(function () {
  "use strict";
  document.querySelectorAll("form[data-arrival-form]").forEach(function (form) {
    var sent = false;
    form.addEventListener("submit", function (event) {
      if (sent || !navigator.geolocation) return;
      event.preventDefault();
      var status = form.querySelector("[data-arrival-status]");
      if (status) status.textContent = form.dataset.locating || "";
      var send = function () {
        if (sent) return;
        sent = true;
        form.submit();
      };
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          form.elements.lon.value = pos.coords.longitude.toFixed(6);
          form.elements.lat.value = pos.coords.latitude.toFixed(6);
          send();
        },
        send,
        { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
      );
      setTimeout(send, 12000);
    });
  });
})();
