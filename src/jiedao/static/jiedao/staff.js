/* The reviewer's photo viewer: zoom and rotate a document photo on screen only (the stored file
   never changes). Without JavaScript the link simply opens the photo. */
(function () {
  "use strict";
  var labels = document.documentElement.lang === "en"
    ? { zoomIn: "Zoom in", zoomOut: "Zoom out", rotate: "Rotate", close: "Close" }
    : { zoomIn: "放大", zoomOut: "缩小", rotate: "旋转", close: "关闭" };

  function open(url, alt) {
    var scale = 1, angle = 0;
    var box = document.createElement("div");
    box.className = "viewer";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-label", alt);
    var tools = document.createElement("div");
    tools.className = "viewer-tools";
    var stage = document.createElement("div");
    stage.className = "viewer-stage";
    var img = document.createElement("img");
    img.src = url;
    img.alt = alt;
    stage.appendChild(img);
    function apply() { img.style.transform = "rotate(" + angle + "deg) scale(" + scale + ")"; }
    function button(text, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.addEventListener("click", action);
      tools.appendChild(b);
      return b;
    }
    button(labels.zoomIn, function () { scale = Math.min(scale * 1.25, 6); apply(); });
    button(labels.zoomOut, function () { scale = Math.max(scale / 1.25, 0.5); apply(); });
    button(labels.rotate, function () { angle = (angle + 90) % 360; apply(); });
    var close = button(labels.close, function () { box.remove(); });
    box.appendChild(tools);
    box.appendChild(stage);
    box.addEventListener("keydown", function (e) { if (e.key === "Escape") box.remove(); });
    document.body.appendChild(box);
    close.focus();
  }

  document.querySelectorAll("a[data-viewer]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var img = link.querySelector("img");
      open(link.href, img ? img.alt : "");
    });
  });
})();
