// The generate page: webcam → POST /api/emotion several times a second (one request in flight at a time)
// → smoothed live label, probability bars, face box and avatar preview; "Generate emoji" posts the current
// frame (or an uploaded photo) to POST /api/emoji and downloads the file it answers.
//
// Smoothing: the label is the argmax of the mean probabilities of the last SMOOTHING_WINDOW frames that
// showed a face (about one second), so a single odd frame does not make the label flicker. The window is
// emptied when no face has been seen for FACE_LOST_MS.
(function () {
  "use strict";
  const SMOOTHING_WINDOW = 6;
  const FRAME_INTERVAL_MS = 120;
  const FACE_LOST_MS = 1000;
  const LIVE_FRAME_WIDTH = 320;
  const CAPTURE_FRAME_WIDTH = 640;

  const app = document.getElementById("generate-app");
  const csrfToken = app.querySelector("[name=csrfmiddlewaretoken]").value;
  const video = document.getElementById("camera");
  const overlay = document.getElementById("overlay");
  const cameraStatus = document.getElementById("camera-status");
  const cameraToggle = document.getElementById("camera-toggle");
  const label = document.getElementById("emotion-label");
  const avatarLive = document.getElementById("avatar-live");
  const generateForm = document.getElementById("generate-form");
  const generateButton = document.getElementById("generate-button");
  const generateStatus = document.getElementById("generate-status");
  const uploadForm = document.getElementById("upload-form");
  const photoInput = document.getElementById("photo-input");
  const result = document.getElementById("result");
  const resultImage = document.getElementById("result-image");
  const resultCaption = document.getElementById("result-caption");
  const frameCanvas = document.createElement("canvas");

  let stream = null;
  let running = false;
  let recent = [];
  let lastFaceAt = 0;
  let shownEmotion = null;
  let resultUrl = null;

  function setStatus(element, message, warn) {
    element.hidden = !message;
    element.textContent = message || "";
    element.classList.toggle("warn", Boolean(warn));
  }

  function cameraProblem(error) {
    const reasons = {
      NotAllowedError: "Camera permission was denied. Allow the camera in your browser, or use a photo below.",
      NotFoundError: "No camera was found. Use a photo below instead.",
      NotReadableError: "The camera is busy in another program. Close it there, or use a photo below.",
    };
    return reasons[error && error.name] || "The camera could not start. Use a photo below instead.";
  }

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setStatus(cameraStatus, "This browser gives no camera access here. Use a photo below instead.", true);
      return;
    }
    setStatus(cameraStatus, "Starting the camera…");
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" }, audio: false });
    } catch (error) {
      setStatus(cameraStatus, cameraProblem(error), true);
      cameraToggle.textContent = "Try the camera again";
      return;
    }
    video.srcObject = stream;
    await video.play();
    running = true;
    cameraToggle.textContent = "Turn camera off";
    generateButton.disabled = false;
    setStatus(cameraStatus, "Looking for your face…");
    readFrames();
  }

  function stopCamera() {
    running = false;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    generateButton.disabled = true;
    cameraToggle.textContent = "Turn camera on";
    setStatus(cameraStatus, "Camera off.");
    drawBox(null);
  }

  function grabFrame(width, quality) {
    const scale = width / video.videoWidth;
    frameCanvas.width = width;
    frameCanvas.height = Math.round(video.videoHeight * scale);
    frameCanvas.getContext("2d").drawImage(video, 0, 0, frameCanvas.width, frameCanvas.height);
    return new Promise((resolve) => frameCanvas.toBlob((blob) => resolve({ blob, scale }), "image/jpeg", quality));
  }

  function post(url, fields) {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) {
      if (value instanceof Blob) body.append(name, value, name === "image" ? "frame.jpg" : name);
      else body.append(name, value);
    }
    return fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrfToken }, credentials: "same-origin" });
  }

  async function readFrames() {
    while (running) {
      const started = performance.now();
      try {
        if (video.videoWidth) {
          const { blob, scale } = await grabFrame(LIVE_FRAME_WIDTH, 0.8);
          const response = await post(app.dataset.emotionUrl, { image: blob });
          const data = await response.json();
          if (response.ok) showReading(data, scale);
          else setStatus(cameraStatus, data.error || "The server could not read this frame.", true);
        }
      } catch (error) {
        setStatus(cameraStatus, "Lost contact with the server; retrying…", true);
      }
      const wait = FRAME_INTERVAL_MS - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  function showReading(data, scale) {
    const now = performance.now();
    const face = data.primary === null ? null : data.faces[data.primary];
    if (face) {
      lastFaceAt = now;
      recent.push(face.probabilities);
      if (recent.length > SMOOTHING_WINDOW) recent.shift();
      setStatus(cameraStatus, data.faces.length > 1 ? `${data.faces.length} faces: following the largest.`
                                                     : "Reading your expression live.");
      drawBox(face.box.map((value) => value / scale));
    } else if (now - lastFaceAt > FACE_LOST_MS) {
      recent = [];
      setStatus(cameraStatus, "No face seen. Face the camera in good light, closer, without covering your face.", true);
      drawBox(null);
    }
    if (recent.length) showProbabilities(average(recent));
  }

  function average(vectors) {
    const mean = {};
    for (const name of Object.keys(vectors[0])) mean[name] = vectors.reduce((sum, v) => sum + v[name], 0) / vectors.length;
    return mean;
  }

  function showProbabilities(probabilities) {
    let best = null;
    for (const [emotion, p] of Object.entries(probabilities)) {
      const row = document.querySelector(`#bars li[data-emotion="${emotion}"]`);
      const percent = Math.round(p * 100);
      row.querySelector(".bar span").style.width = percent + "%";
      row.querySelector(".bar").setAttribute("aria-valuenow", percent);
      row.querySelector(".value").textContent = percent + "%";
      if (best === null || p > probabilities[best]) best = emotion;
    }
    label.textContent = best;
    label.dataset.emotion = best;
    if (best !== shownEmotion) {
      shownEmotion = best;
      avatarLive.src = `${app.dataset.previewUrl}&emotion=${best}`;
    }
  }

  function drawBox(box) {
    overlay.width = video.videoWidth || 640;
    overlay.height = video.videoHeight || 480;
    const context = overlay.getContext("2d");
    context.clearRect(0, 0, overlay.width, overlay.height);
    if (!box) return;
    context.strokeStyle = "#f5a623";
    context.lineWidth = Math.max(2, overlay.width / 200);
    context.strokeRect(box[0], box[1], box[2], box[3]);
  }

  async function generate(image) {
    generateButton.disabled = true;
    setStatus(generateStatus, "Making your emoji…");
    const format = document.getElementById("format").value;
    try {
      const response = await post(app.dataset.emojiUrl, {
        image, avatar: app.dataset.avatarId, format, size: document.getElementById("size").value });
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        setStatus(generateStatus, data.error || `The server answered ${response.status}.`, true);
        return;
      }
      const emotion = response.headers.get("X-Emotion");
      const blob = await response.blob();
      if (resultUrl) URL.revokeObjectURL(resultUrl);
      resultUrl = URL.createObjectURL(blob);
      resultImage.src = resultUrl;
      resultCaption.textContent = `Your avatar feeling ${emotion}.`;
      result.hidden = false;
      result.dataset.emotion = emotion;
      const link = document.createElement("a");
      link.href = resultUrl;
      link.download = `emoji-${emotion}.${format}`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setStatus(generateStatus, `Downloaded emoji-${emotion}.${format}.`);
    } catch (error) {
      setStatus(generateStatus, "Could not reach the server. Try again.", true);
    } finally {
      generateButton.disabled = !running;
    }
  }

  generateForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!running) return;
    const { blob } = await grabFrame(Math.min(CAPTURE_FRAME_WIDTH, video.videoWidth), 0.92);
    generate(blob);
  });
  uploadForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!photoInput.files.length) {
      setStatus(generateStatus, "Choose a photo first.", true);
      return;
    }
    generate(photoInput.files[0]);
  });
  cameraToggle.addEventListener("click", () => (running ? stopCamera() : startCamera()));
  startCamera();
})();
