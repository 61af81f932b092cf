/* The construction-site gate on a phone (/sites/gate/). The page works without this file (the
   form posts and the server answers); with it:
   - every entry gets its own key (crypto.randomUUID) and goes into a queue kept in localStorage
     before anything is sent, so an entry recorded with no signal is kept on the phone;
   - the queue is sent to the server at once, and again whenever the network comes back; the
     server records each key once, so an entry sent twice (a lost answer, a retry) counts once;
   - the seconds an entry waited on the phone are sent with it: the server's clock decides the
     time (a phone's own clock may be hours wrong), and the phone's time is kept for the record;
   - the phone's camera reads the pass's QR code (below: the browser's own reader, or jsQR). */
(function () {
  "use strict";

  var form = document.querySelector("[data-gate-form]");
  if (!form) return;
  var QUEUE = "jiedao.sites.gate.queue.v1";
  var text = function (name) { return form.getAttribute("data-text-" + name) || ""; };
  var fever = parseFloat(form.getAttribute("data-fever")) || 37.3;
  var syncUrl = form.getAttribute("data-sync-url");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  var passInput = form.querySelector("[data-pass-input]");
  var tempInput = form.querySelector("[data-temperature]");
  var live = document.querySelector("[data-live-answer]");
  var pendingLine = document.querySelector("[data-pending]");
  var sending = false;
  var lastKey = null;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function save(queue) { window.localStorage.setItem(QUEUE, JSON.stringify(queue)); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function checked(name) {
    var input = form.querySelector("input[name=" + name + "]:checked");
    return input ? input.value : "";
  }

  function show(kind, title, message, photo) {
    var old = document.querySelector("[data-answer]");
    if (old) old.hidden = true;
    live.hidden = false;
    live.className = "gate-answer gate-" + kind;
    live.querySelector("[data-live-title]").textContent = title;
    live.querySelector("[data-live-message]").textContent = message;
    var img = live.querySelector("[data-live-photo]");
    if (img) {
      img.hidden = !photo;
      if (photo) img.src = photo; else img.removeAttribute("src");
    }
  }

  function showPending() {
    var count = load().length;
    pendingLine.hidden = false;
    pendingLine.textContent = count ? count + " " + text("pending") : text("synced");
    pendingLine.setAttribute("data-pending", String(count));
  }

  function answerTitle(result) {
    if (result.outcome === "admitted") return "✓ " + (result.direction === "out" ? text("exit") : text("admitted")) + (result.worker ? " · " + result.worker : "");
    if (result.outcome === "refused") return "✕ " + text("refused") + (result.worker ? " · " + result.worker : "");
    return "✕ " + text("rejected");
  }

  function flush() {
    if (sending) return;
    var queue = load();
    showPending();
    if (!queue.length) return;
    sending = true;
    var batch = queue.slice(0, 50).map(function (entry) {
      var copy = Object.assign({}, entry);
      copy.elapsed_s = Math.max(0, (Date.now() - entry.recorded_ms) / 1000);
      delete copy.recorded_ms;
      return copy;
    });
    fetch(syncUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      body: JSON.stringify({ entries: batch })
    }).then(function (response) {
      if (response.status === 403) { show("rejected", text("offline-title"), text("closed")); throw new Error("closed"); }
      if (!response.ok) throw new Error("server " + response.status);
      return response.json();
    }).then(function (body) {
      var done = {};
      (body.results || []).forEach(function (result) {
        if (!result.key) return;
        done[result.key] = true;
        var sent = batch.filter(function (e) { return e.key === result.key; })[0];
        if (result.key === lastKey) {
          if (result.status === "ok") {
            result.direction = sent ? sent.direction : "";
            show(result.outcome, answerTitle(result), result.message, result.photo);
          } else {
            var messages = result.errors ? Object.keys(result.errors).map(function (k) { return result.errors[k].join(" "); }).join(" ") : result.message;
            show("rejected", text("rejected"), messages || "");
          }
        }
      });
      save(load().filter(function (entry) { return !done[entry.key]; }));
      sending = false;
      showPending();
      if (load().length && Object.keys(done).length) flush();
    }).catch(function () {
      sending = false;
      showPending();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var pass = (passInput.value || "").trim();
    var direction = checked("direction") || "in";
    var raw = (tempInput.value || "").trim().replace("，", ".").replace(",", ".");
    var temperature = raw === "" ? null : parseFloat(raw);
    if (!pass) { show("rejected", text("rejected"), text("need-pass")); passInput.focus(); return; }
    if (direction === "in" && temperature === null) { show("rejected", text("refused"), text("need-temperature")); tempInput.focus(); return; }
    if (temperature !== null && (isNaN(temperature) || temperature < 34 || temperature > 43)) { show("rejected", text("refused"), text("range")); tempInput.focus(); return; }
    var entry = {
      key: newKey(),
      pass: pass,
      temperature: temperature === null ? "" : temperature.toFixed(1),
      health_code: checked("health_code") || "green",
      direction: direction,
      phone_at: new Date().toISOString(),
      recorded_ms: Date.now()
    };
    var queue = load();
    queue.push(entry);
    save(queue);
    lastKey = entry.key;
    passInput.value = "";
    tempInput.value = "";
    if (!navigator.onLine) {
      if (direction === "in" && temperature >= fever) show("refused", "✕ " + text("refused"), text("fever"));
      else show("saved", text("offline-title"), text("saved"));
    }
    flush();
    // The answer arrives from the server; until then (or offline), the entry waits on the phone.
    window.setTimeout(function () {
      if (load().some(function (e) { return e.key === entry.key; })) {
        if (direction === "in" && temperature >= fever) show("refused", "✕ " + text("refused"), text("fever"));
        else show("saved", text("offline-title"), text("saved"));
      }
    }, 4000);
    passInput.focus();
  });

  window.addEventListener("online", flush);
  window.setInterval(function () { if (navigator.onLine) flush(); }, 15000);
  flush();

  // The camera. A phone whose browser reads QR codes itself (BarcodeDetector: Chrome on Android)
  // uses that; any other (Safari, WeChat's browser, a desktop Chromium, which has the API but no
  // QR reader behind it) loads jsQR, served by this site, and reads the frames in JavaScript.
  var scanRow = document.querySelector("[data-scan-row]");
  var video = document.querySelector("[data-scan-video]");

  function nativeReader() {
    if (!("BarcodeDetector" in window) || !window.BarcodeDetector.getSupportedFormats) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) return null;
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return function () {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }).catch(function () { return null; });
  }

  function scriptReader() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(); return; }
      var script = document.createElement("script");
      script.src = scanRow.getAttribute("data-jsqr-src");
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    }).then(function () {
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function () {
        var width = video.videoWidth, height = video.videoHeight;
        if (!width || !height) return Promise.resolve(null);
        var scale = Math.min(1, 800 / Math.max(width, height));  // enough for a pass held up close, and fast
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var frame = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
        return Promise.resolve(code && code.data ? code.data : null);
      };
    });
  }

  if (scanRow && video && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scanRow.hidden = false;
    var button = scanRow.querySelector("[data-scan]");
    button.addEventListener("click", function () {
      button.disabled = true;
      var reader = nativeReader().then(function (read) { return read || scriptReader(); });
      var camera = navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      Promise.all([reader, camera]).then(function (ready) {
        var read = ready[0], stream = ready[1];
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var stop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          video.hidden = true;
          button.disabled = false;
        };
        var tick = function () {
          if (video.hidden) return;
          read().then(function (value) {
            if (value) { passInput.value = value; stop(); tempInput.focus(); }
            else window.setTimeout(tick, 200);
          }).catch(function () { window.setTimeout(tick, 500); });
        };
        tick();
      }).catch(function () {
        // No camera, or no reader (jsQR could not load, offline): let go of whichever did open.
        camera.then(function (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }, function () {});
        button.disabled = false;
        show("rejected", text("camera-title"), text("camera"));
        passInput.focus();
      });
    });
  }
})();
