/* The phone's patrol page. Records the route (Geolocation watchPosition), checkpoint scans (the
   camera's BarcodeDetector where the browser has one, or the code typed) and one-tap findings.
   Everything is kept in localStorage first and sent to /api/v1/patrols/ when the network allows:
   each record carries an id made here (the patrol's and each scan's and photo's UUID, each
   position's number), and the server keeps a record once however often it is sent, so a lost
   answer is simply sent again. Photos are too big for localStorage: they wait in IndexedDB under
   their id (or, where the browser refuses it, in this page's memory) and the queue holds the id.
   Text reaches the page through textContent only. */
(function () {
  "use strict";

  var root = document.querySelector("[data-patrol]");
  if (!root) return;

  var api = root.dataset.api.replace(/\/$/, "");
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var KEY = "fq.patrol." + root.dataset.user;
  var PHOTO_DB = "fq.patrol.photos." + root.dataset.user;
  var BATCH = 1000;
  var FLUSH_MS = 5000;
  var state = load();
  var watchId = null;
  var busy = false;
  var unstored = {};  // photos IndexedDB would not keep: sent from memory while the page is open

  function $(id) { return document.getElementById(id); }

  function text(name) {
    return root.getAttribute("data-text-" + name) || "";
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)); } catch (e) { return null; }
  }

  function save() {
    if (state) localStorage.setItem(KEY, JSON.stringify(state));
    else localStorage.removeItem(KEY);
    render();
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function log(message) {
    var li = document.createElement("li");
    li.textContent = new Date().toLocaleTimeString() + " " + message;
    var list = $("patrol-log");
    list.insertBefore(li, list.firstChild);
  }

  function waiting() {
    return state ? state.pending.length + state.queue.length : 0;
  }

  function render() {
    var phase = !state ? "idle" : state.ended ? "ending" : "running";
    root.dataset.phase = phase;
    root.dataset.queued = String(waiting());
    $("count-points").textContent = String(state ? state.seq : 0);
    $("count-queued").textContent = String(waiting());
    $("start-panel").hidden = Boolean(state);
    $("run-panel").hidden = !state || Boolean(state.ended);
    var status = text(phase === "idle" ? "idle" : phase === "ending" ? "ending" : "running");
    if (state && !navigator.onLine) status += " " + text("offline");
    $("patrol-status").textContent = status;
  }

  function now() { return new Date().toISOString(); }

  // --- photos waiting to be sent (IndexedDB) -------------------------------------------------

  function photoStore(mode, work) {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("IndexedDB")); return; }
      var open = indexedDB.open(PHOTO_DB, 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("photos"); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var db = open.result;
        var tx = db.transaction("photos", mode);
        var request = work(tx.objectStore("photos"));
        tx.oncomplete = function () { db.close(); resolve(request.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      };
    });
  }

  function keepPhoto(id, file) {
    return photoStore("readwrite", function (store) {
      return store.put({ file: file, name: file.name || "photo" }, id);
    }).catch(function () { unstored[id] = { file: file, name: file.name || "photo" }; });
  }

  function keptPhoto(id) {
    if (unstored[id]) return Promise.resolve(unstored[id]);
    return photoStore("readonly", function (store) { return store.get(id); }).catch(function () { return null; });
  }

  function dropPhoto(id) {
    delete unstored[id];
    return photoStore("readwrite", function (store) { return store.delete(id); }).catch(function () {});
  }

  // --- sending -------------------------------------------------------------------------------

  function send(path, body) {
    return fetch(api + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(answer);
  }

  // A refusal (4xx) is final: sending the same again would be refused again, so it is dropped and
  // said. Anything else (no network, a server error) leaves the record queued for the next try.
  function answer(response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      if (response.ok) return data;
      if (response.status >= 400 && response.status < 500) {
        var error = new Error(data.detail || String(response.status));
        error.refused = true;
        throw error;
      }
      throw new Error(String(response.status));
    });
  }

  function path(op) {
    var base = "/" + state.id;
    return op.op === "start" ? "" : base + "/" + (op.op === "end" ? "end" : op.op);
  }

  function sendPhoto(op) {
    var id = op.body.id;
    return keptPhoto(id).then(function (kept) {
      if (!kept) { log(text("photo-lost")); return null; }  // nothing left to send
      var form = new FormData();
      form.append("id", id);
      form.append("file", kept.file, kept.name);
      return fetch(api + "/" + state.id + "/photos", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        body: form
      }).then(answer).then(function (data) {
        log(text("photo-sent"));
        return dropPhoto(id).then(function () { return data; });
      });
    });
  }

  function sendOp(op) {
    if (op.op === "photos") return sendPhoto(op);
    return send(path(op), op.body).then(function (data) {
      if (op.op === "scans") log(text("scanned") + " " + data.checkpoint);
      if (op.op === "findings") log(text("reported") + " " + data.event);
      return data;
    });
  }

  function sendPoints() {
    if (!state || !state.pending.length) return Promise.resolve();
    var batch = state.pending.slice(0, BATCH);
    return send("/" + state.id + "/points", { points: batch }).then(function () {
      var sent = {};
      batch.forEach(function (p) { sent[p.seq] = true; });
      state.pending = state.pending.filter(function (p) { return !sent[p.seq]; });
      save();
      return sendPoints();
    }, function (error) {
      if (error.refused) {  // a batch the server will never take: drop it, say so
        state.pending = state.pending.slice(batch.length);
        error.handled = true;
        log(text("refused") + " " + error.message);
        save();
      }
      throw error;
    });
  }

  function step() {
    if (!state) return Promise.resolve();
    var op = state.queue[0];
    // The start first; then positions (a finding without a position takes the last one); then
    // scans, findings and the end, in the order they happened.
    if (op && op.op === "start") return sendOp(op).then(done(op)).then(step);
    return sendPoints().then(function () {
      if (!state.queue.length) return null;
      var next = state.queue[0];
      return sendOp(next).then(done(next)).then(step);
    });
  }

  function done(op) {
    return function () {
      state.queue.shift();
      if (op.op === "end" && !state.queue.length && !state.pending.length) {
        var id = state.id;
        state = null;
        save();
        log(text("ended"));
        root.dataset.lastPatrol = id;
        return;
      }
      save();
    };
  }

  function flush() {
    if (busy || !state || !navigator.onLine) { render(); return Promise.resolve(); }
    busy = true;
    return step().catch(function (error) {
      if (error.refused && !error.handled && state && state.queue.length) {
        var dropped = state.queue[0].op === "start" ? state.queue : [state.queue[0]];
        dropped.forEach(function (op) { if (op.op === "photos") dropPhoto(op.body.id); });
        if (state.queue[0].op === "start") { unwatch(); state = null; } else state.queue.shift();
        log(text("refused") + " " + error.message);
        save();
      }
    }).then(function () { busy = false; render(); });
  }

  function queue(op, body) {
    state.queue.push({ op: op, body: body });
    save();
    var what = op === "scans" ? body.code : op === "findings" ? text(body.kind) : op === "photos" ? text("photo") : "";
    if (!navigator.onLine) log(text("queued") + " " + what);
    return flush();
  }

  // --- recording -----------------------------------------------------------------------------

  function onPosition(position) {
    if (!state || state.ended) return;
    var c = position.coords;
    var point = {
      seq: state.seq,
      at: new Date(position.timestamp || Date.now()).toISOString(),
      lon: Math.round(c.longitude * 1e7) / 1e7,
      lat: Math.round(c.latitude * 1e7) / 1e7
    };
    if (typeof c.accuracy === "number" && isFinite(c.accuracy)) point.accuracy = Math.min(c.accuracy, 100000);
    state.seq += 1;
    state.last = { lon: point.lon, lat: point.lat };
    state.pending.push(point);
    save();
  }

  function watch() {
    if (watchId !== null || !navigator.geolocation) {
      if (!navigator.geolocation) log(text("no-position"));
      return;
    }
    watchId = navigator.geolocation.watchPosition(onPosition, function () { log(text("no-position")); }, {
      enableHighAccuracy: true,
      maximumAge: 0
    });
  }

  function unwatch() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
  }

  function start() {
    state = { id: uuid(), seq: 0, pending: [], queue: [], last: null, ended: false };
    var plan = $("patrol-plan").value;
    state.queue.push({ op: "start", body: { id: state.id, started_at: now(), plan: plan ? Number(plan) : null } });
    save();
    watch();
    flush();
  }

  function scan(code) {
    code = String(code || "").trim().toUpperCase();
    if (!code) { log(text("empty-code")); return; }
    var body = { id: uuid(), code: code, at: now() };
    if (state.last) { body.lon = state.last.lon; body.lat = state.last.lat; }
    $("scan-code").value = "";
    queue("scans", body);
  }

  function report(kind) {
    var body = { id: uuid(), kind: kind, description: $("finding-text").value.trim(), at: now() };
    if (state.last) { body.lon = state.last.lon; body.lat = state.last.lat; }
    $("finding-text").value = "";
    queue("findings", body);
  }

  // A photo is kept on the phone first, then queued like a scan: sent in its turn, once.
  function photo(input) {
    var file = input.files && input.files[0];
    if (!file || !state || state.ended) return;
    var id = uuid();
    input.value = "";
    keepPhoto(id, file).then(function () { if (state) queue("photos", { id: id }); });
  }

  function end() {
    unwatch();
    state.ended = true;
    state.queue.push({ op: "end", body: { ended_at: now() } });
    save();
    flush();
  }

  // --- the camera ------------------------------------------------------------------------------

  function camera() {
    var video = $("scan-video");
    var detector;
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { log(text("camera-failed")); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      return video.play().then(function () {
        var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
        var look = function () {
          detector.detect(video).then(function (codes) {
            if (codes.length) { stop(); scan(String(codes[0].rawValue).replace(/^FQCP:/, "")); }
            else if (!video.hidden) window.requestAnimationFrame(look);
          }).catch(function () { stop(); log(text("camera-failed")); });
        };
        look();
      });
    }).catch(function () { log(text("camera-failed")); });
  }

  // --- wiring --------------------------------------------------------------------------------

  $("patrol-start").addEventListener("click", start);
  $("patrol-end").addEventListener("click", end);
  $("scan-form").addEventListener("submit", function (event) { event.preventDefault(); scan($("scan-code").value); });
  $("report-hazard").addEventListener("click", function () { report("hazard"); });
  $("report-suspicious").addEventListener("click", function () { report("suspicious"); });
  $("patrol-photo").addEventListener("change", function (event) { photo(event.target); });
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    $("scan-camera").hidden = false;
    $("scan-camera").addEventListener("click", camera);
  }
  if (root.dataset.plan) $("patrol-plan").value = root.dataset.plan;
  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  window.setInterval(flush, FLUSH_MS);

  // A patrol under way when the page was closed or reloaded goes on.
  if (state && !state.ended) watch();
  render();
  flush();
})();
