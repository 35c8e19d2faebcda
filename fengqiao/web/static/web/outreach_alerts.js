// The portal's alert subscription: register the service worker, subscribe this browser to Web
// Push with the server's VAPID key, and send the subscription with the chosen community.
// Messages are put in the page as text, never HTML.
(function () {
  "use strict";
  var form = document.querySelector("[data-alerts]");
  if (!form) return;
  var status = document.getElementById("alerts-status");

  function say(text) {
    status.textContent = text;
  }

  function keyBytes(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/");
    padded += "===".slice((padded.length + 3) % 4);
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
      say(form.dataset.unsupportedText);
      return;
    }
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var community = form.querySelector("select[name=community]").value;
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") throw new Error("denied");
        return navigator.serviceWorker.register(form.dataset.workerUrl);
      })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(form.dataset.publicKey),
        });
      })
      .then(function (subscription) {
        return fetch(form.dataset.subscribeUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify({ community: community, subscription: subscription.toJSON() }),
        });
      })
      .then(function (response) {
        return response.json().then(function (data) {
          say(response.ok ? data.message : data.error || form.dataset.failedText);
        });
      })
      .catch(function (error) {
        say(error && error.message === "denied" ? form.dataset.deniedText : form.dataset.failedText);
      });
  });
})();
