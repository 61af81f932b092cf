/* Progressive improvements only: every page works without this file.
   - show the chosen photo (name and preview) under its upload button;
   - upload with a progress bar, so a slow mobile connection does not look frozen;
   - a submit button marked data-once cannot be pressed twice;
   - the print button on the confirmation page. */
(function () {
  "use strict";

  // Sizes as a phone shows them: 1.5 MB, 0.35 MB, never 0.0 MB for a small photo.
  function megabytes(bytes) {
    var mb = bytes / 1048576;
    if (mb >= 1) return mb.toFixed(1) + " MB";
    return Math.max(mb, 0.01).toFixed(2) + " MB";
  }

  document.querySelectorAll("input.upload-input").forEach(function (input) {
    var box = input.closest(".upload");
    if (box) box.classList.add("upload-js");
    input.addEventListener("change", function () {
      var out = document.querySelector('[data-chosen-for="' + input.id + '"]');
      if (!out) return;
      out.textContent = "";
      var file = input.files && input.files[0];
      if (!file) return;
      out.textContent = "✓ " + file.name + " (" + megabytes(file.size) + ")";
      if (/^image\/(jpeg|png|webp|gif)$/.test(file.type) && window.URL) {
        var img = document.createElement("img");
        img.alt = "";
        img.src = URL.createObjectURL(file);
        out.appendChild(img);
      } else {
        // HEIC (iPhone) and other formats the browser cannot draw: a clear placeholder instead
        // of an empty space; the server converts them on upload.
        var placeholder = box && box.querySelector("[data-no-preview]");
        if (placeholder) {
          var shown = placeholder.cloneNode(true);
          shown.hidden = false;
          shown.removeAttribute("data-no-preview");
          out.appendChild(shown);
        }
      }
    });
  });

  document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      var box = form.querySelector(".upload-progress");
      var bar = form.querySelector("[data-progress-bar]");
      var text = form.querySelector("[data-progress-text]");
      var buttons = form.querySelectorAll("button[type=submit]");
      buttons.forEach(function (b) { b.disabled = true; });
      if (box) box.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((100 * e.loaded) / e.total);
        if (bar) bar.style.width = pct + "%";
        if (text) text.textContent = pct + "%";
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL && xhr.responseURL !== window.location.href.split("#")[0]) {
          window.location.assign(xhr.responseURL);
        } else {
          document.open();
          document.write(xhr.responseText);
          document.close();
        }
      });
      xhr.addEventListener("error", function () {
        buttons.forEach(function (b) { b.disabled = false; });
        if (box) box.hidden = true;
        form.submit();
      });
      var data = new FormData(form);
      // The button pressed (上一步, 长辈版) says what to do with the photos: send its name too.
      if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
      xhr.send(data);
    });
  });

  document.querySelectorAll("button[data-once]").forEach(function (button) {
    button.form && button.form.addEventListener("submit", function () {
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
})();
