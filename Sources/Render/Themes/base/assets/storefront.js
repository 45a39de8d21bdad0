// Storefront components. Plain JavaScript, no dependencies; every page works without it,
// and each component starts only when the server rendered its element (its feature is on).
(function () {
  "use strict";

  // Consultation chat: post the form with fetch and show the store's acknowledgement inline.
  function consultation(root) {
    var form = root.querySelector("form");
    var status = root.querySelector(".consultation-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {};
      new FormData(form).forEach(function (value, key) { body[key] = value; });
      status.textContent = "Sending…";
      fetch(form.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json().catch(function () { return {}; });
      }).then(function (answer) {
        status.textContent = (answer && answer.message) || "Thank you! We will get back to you shortly.";
        form.reset();
      }).catch(function () {
        status.textContent = "Sorry, that did not work. Please try again.";
      });
    });
  }

  // Frame shapes that suit each face shape: the usual optician's advice.
  var suits = {
    round: ["rectangle", "square", "wayfarer", "geometric"],
    square: ["round", "oval", "aviator", "cat-eye"],
    oval: ["rectangle", "square", "round", "aviator", "wayfarer", "cat-eye", "oval", "geometric"],
    heart: ["aviator", "oval", "round", "rimless", "cat-eye"]
  };

  function filterCatalog(shape) {
    var allowed = suits[shape] || [];
    var cards = document.querySelectorAll("[data-catalog] .product-card");
    var shown = 0;
    Array.prototype.forEach.call(cards, function (card) {
      var frame = card.getAttribute("data-frame-shape");
      var match = !frame || allowed.indexOf(frame) !== -1;
      card.hidden = !match;
      if (match) { shown += 1; }
    });
    return shown;
  }

  // Face analyzer: FaceDetector where the browser has it, else the questionnaire decides.
  function faceAnalyzer(root) {
    root.hidden = false;
    var result = root.querySelector(".face-result");
    function apply(shape) {
      var shown = filterCatalog(shape);
      result.textContent = "Face shape: " + shape + ". Showing " + shown + " matching products.";
    }
    root.querySelectorAll("input[name=face-shape]").forEach(function (input) {
      input.addEventListener("change", function () { apply(input.value); });
    });
    function classify(box) {
      var ratio = box.height / box.width;
      if (ratio < 1.1) { return "round"; }
      if (ratio < 1.25) { return "square"; }
      return "oval";
    }
    function detect(source) {
      if (!("FaceDetector" in window)) {
        result.textContent = "Automatic detection is not available here; please answer the question below.";
        return;
      }
      new window.FaceDetector({ fastMode: true }).detect(source).then(function (faces) {
        if (faces.length) { apply(classify(faces[0].boundingBox)); }
        else { result.textContent = "No face found; please answer the question below."; }
      }).catch(function () { result.textContent = "Detection failed; please answer the question below."; });
    }
    var video = root.querySelector(".face-video");
    var start = root.querySelector(".face-start");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { start.hidden = true; }
    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" } }).then(function (stream) {
        video.hidden = false;
        video.srcObject = stream;
        return video.play();
      }).then(function () {
        setTimeout(function () { detect(video); }, 800);
      }).catch(function () { result.textContent = "Camera unavailable; upload a photo or answer the question."; });
    });
    root.querySelector("input[type=file]").addEventListener("change", function (event) {
      var file = event.target.files[0];
      if (!file) { return; }
      var image = new Image();
      image.onload = function () { detect(image); };
      image.src = URL.createObjectURL(file);
    });
  }

  // Virtual try-on: camera or photo under the product's overlay, dragged and scaled locally.
  function tryOn(root) {
    root.hidden = false;
    var stage = root.querySelector(".try-on-stage");
    var overlay = root.querySelector(".try-on-overlay");
    var video = root.querySelector(".try-on-video");
    var photo = root.querySelector(".try-on-photo");
    var scale = root.querySelector(".try-on-scale");
    if (!overlay) { return; }
    var x = 0, y = 0, dragging = null;
    function place() {
      overlay.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale.value + ")";
    }
    overlay.addEventListener("pointerdown", function (event) {
      dragging = { x: event.clientX - x, y: event.clientY - y };
      overlay.setPointerCapture(event.pointerId);
    });
    overlay.addEventListener("pointermove", function (event) {
      if (!dragging) { return; }
      x = event.clientX - dragging.x;
      y = event.clientY - dragging.y;
      place();
    });
    overlay.addEventListener("pointerup", function () { dragging = null; });
    scale.addEventListener("input", place);
    var camera = root.querySelector(".try-on-camera");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { camera.hidden = true; }
    camera.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" } }).then(function (stream) {
        photo.hidden = true;
        video.hidden = false;
        video.srcObject = stream;
        return video.play();
      }).catch(function () { camera.textContent = "Camera unavailable"; });
    });
    root.querySelector(".try-on-file").addEventListener("change", function (event) {
      var file = event.target.files[0];
      if (!file) { return; }
      photo.src = URL.createObjectURL(file);
      photo.hidden = false;
      video.hidden = true;
    });
    stage.addEventListener("dragstart", function (event) { event.preventDefault(); });
  }

  // Analytics: identifiers arrive as data attributes, never inside script text.
  function analytics(root) {
    var ga = root.getAttribute("data-google-analytics");
    if (ga) {
      var tag = document.createElement("script");
      tag.async = true;
      tag.src = "https://www.googletagmanager.com/gtag/js?id=" + encodeURIComponent(ga);
      document.head.appendChild(tag);
      window.dataLayer = window.dataLayer || [];
      window.gtag = function () { window.dataLayer.push(arguments); };
      window.gtag("js", new Date());
      window.gtag("config", ga);
    }
    var pixel = root.getAttribute("data-facebook-pixel");
    if (pixel) {
      var fbq = window.fbq = function () {
        fbq.callMethod ? fbq.callMethod.apply(fbq, arguments) : fbq.queue.push(arguments);
      };
      fbq.queue = [];
      fbq.loaded = true;
      fbq.version = "2.0";
      var script = document.createElement("script");
      script.async = true;
      script.src = "https://connect.facebook.net/en_US/fbevents.js";
      document.head.appendChild(script);
      fbq("init", pixel);
      fbq("track", "PageView");
    }
  }

  var components = {
    "consultation": consultation,
    "face-analyzer": faceAnalyzer,
    "try-on": tryOn,
    "analytics": analytics
  };
  document.querySelectorAll("[data-component]").forEach(function (element) {
    var start = components[element.getAttribute("data-component")];
    if (start) { start(element); }
  });
})();
