// The generate page: webcam → POST /api/emotion several times a second (one request in flight at a time)
// → smoothed live label, probability bars, face box and avatar preview (tilted with the head, and the bars of a
// calibrated reading sharpened: static/js/live_reading.js). "Generate emoji" downloads the avatar wearing the
// expression the label shows at that moment, so the file is what the page showed (issue 50: re-reading a new
// frame made a surprised file while the label still said happy); an uploaded photo goes to POST /api/emoji.
// Nothing is generated before the label shows a reading (the page says what it waits for) unless the person
// picks an expression by hand.
//
// Smoothing: the label is the argmax of the mean probabilities of the last SMOOTHING_WINDOW frames that
// showed a face (about one second), so a single odd frame does not make the label flicker. The window is
// emptied when no face has been seen for FACE_LOST_MS.
//
// Calibration: when the camera starts, the person relaxes their face for CALIBRATION_MS of frames that show
// a face; the mean of those readings is their baseline (7 numbers, kept in this tab's sessionStorage only),
// sent with every later frame so the server reads them against their own resting face (ml/calibration.py).
// "Skip" reads uncalibrated; "Recalibrate" starts again. A "relaxed" face that reads as a clear expression (a
// smile held through the countdown) is refused as a baseline (NOT_RELAXED_MIN): the page says so, reads
// uncalibrated and offers to try again. "Not right? Choose:", beside Generate, downloads the expression the
// person picks instead of the one read, with or without a reading.
//
// Record 3 s: for RECORD_MS the page keeps each reading the label shows (calibrated where there is a baseline),
// with its time and the avatar's tilt on screen (`roll`, where the server gives one); then it posts those
// readings — never the frames — to POST /api/animation and downloads the animated sticker of the avatar acting
// them out. A ring and the seconds left show the recording's progress.
//
// A photo booth: Space or Enter generates and R records when the focus is on no control or field; "Generate in
// 3 s" and "Record in 3 s" count 3, 2, 1 over the camera (Escape stops them) and then do what the button does,
// so the expression captured is the one read at the end. The emoji made appears beside the avatar with Share,
// Copy image and Download, and the status line (aria-live) says what was downloaded.
(function () {
  "use strict";
  const SMOOTHING_WINDOW = 6;
  const FRAME_INTERVAL_MS = 120;
  const FACE_LOST_MS = 1000;
  const LIVE_FRAME_WIDTH = 320;
  const CALIBRATION_MS = 2000;
  const CALIBRATION_MIN_READINGS = 5;
  const CALIBRATION_MAX_GAP_MS = 300;  // a longer gap between two face frames counts as this much
  const BASELINE_KEY = "emojify-baseline";
  // A baseline must be a face at rest: calibrated to a smile, every later smile would read neutral (issue 41).
  // The calibration frames' mean reading is refused when its top emotion is not neutral and reaches
  // NOT_RELAXED_MIN: set where the real photos' neutral faces (almost) never reach it while most posed smiles
  // do, so a relaxed face that merely leans sad or angry — what calibration is for — reads far below it and is
  // kept. The figures it was chosen on, with their date and weights, are in docs/site.md ("A smile is no relaxed
  // face"), where a change of weights re-measures them.
  const NOT_RELAXED_MIN = 0.7;
  const EXPRESSION_WORDS = { angry: "a frown", disgust: "a look of disgust", fear: "a fearful face",
                             happy: "a smile", sad: "a sad face", surprise: "a surprised face" };
  const RECORD_MS = 3000;
  const TIMER_S = 3;
  const { shownShares, screenTilt, showTilt } = window.emojifyLiveReading;

  const app = document.getElementById("generate-app");
  const csrfToken = app.querySelector("[name=csrfmiddlewaretoken]").value;
  // "Your avatar feeling scared": the words for sentences, from emotions.FEELINGS.
  const FEELINGS = JSON.parse(document.getElementById("feelings").textContent);
  const video = document.getElementById("camera");
  const cameraBox = video.parentElement;  // hidden while there is no picture: no black box
  const overlay = document.getElementById("overlay");
  const cameraStatus = document.getElementById("camera-status");
  const cameraToggle = document.getElementById("camera-toggle");
  const label = document.getElementById("emotion-label");
  const avatarLive = document.getElementById("avatar-live");
  const generateForm = document.getElementById("generate-form");
  const generateButton = document.getElementById("generate-button");
  const generateStatus = document.getElementById("generate-status");
  const uploadForm = document.getElementById("upload-form");
  const uploadButton = document.getElementById("upload-button");
  const photoInput = document.getElementById("photo-input");
  const result = document.getElementById("result");
  const resultImage = document.getElementById("result-image");
  const resultCaption = document.getElementById("result-caption");
  const calibrationState = document.getElementById("calibration-state");
  const countdown = document.getElementById("calibration-countdown");
  const skipButton = document.getElementById("calibration-skip");
  const recalibrateButton = document.getElementById("recalibrate");
  const barsHelp = document.getElementById("bars-help");
  const recordButton = document.getElementById("record-button");
  const recordRing = document.getElementById("record-ring");
  const timerGenerate = document.getElementById("timer-generate");
  const timerRecord = document.getElementById("timer-record");
  const timerCountdown = document.getElementById("timer-countdown");
  const resultDownload = document.getElementById("result-download");
  const frameCanvas = document.createElement("canvas");

  let stream = null;
  let running = false;
  let recent = [];  // the last SMOOTHING_WINDOW faces' { probabilities, roll }
  let lastFaceAt = 0;
  let shownEmotion = null;
  let downloading = false;
  let resultUrl = null;
  let baseline = storedBaseline();
  let calibration = null;  // while calibrating: { readings, faceMs, lastFaceAt }
  let notRelaxed = null;  // the emotion a refused calibration read, while the page says so
  let recording = null;  // while recording: { startedAt, readings: [{ t, probabilities }] }
  let timer = null;  // while a self-timer counts down: { action, left, timeout }

  // A button and its self-timer's are enabled together; a self-timer's stays off while one counts down.
  function enable(button, on) {
    button.disabled = !on;
    (button === generateButton ? timerGenerate : timerRecord).disabled = !on || Boolean(timer);
  }

  // Generate and Record (their self-timers, Space and R) capture what the label shows: nothing before it shows
  // a reading (issue 50: a click during calibration downloaded a neutral emoji read from nothing). Until then
  // the label says what they wait for, right above them; "Not right? Choose:" beside them works throughout.
  function syncCaptureButtons() {
    const shown = running && Boolean(label.dataset.emotion);
    enable(generateButton, shown && !downloading);
    enable(recordButton, shown && !calibration && !recording);
    if (label.dataset.emotion) return;
    const waiting = !running ? "Camera off"
      : calibration ? "Waiting for calibration…" : "Waiting for a first reading of your face…";
    if (label.textContent !== waiting) label.textContent = waiting;  // the same words are not announced again
  }

  function storedBaseline() {
    try {
      const value = JSON.parse(sessionStorage.getItem(BASELINE_KEY));
      return value && typeof value === "object" ? value : null;
    } catch (error) {
      return null;
    }
  }

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
    cameraBox.hidden = false;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" }, audio: false });
    } catch (error) {
      setStatus(cameraStatus, cameraProblem(error), true);
      cameraToggle.textContent = "Try the camera again";
      cameraBox.hidden = true;
      return;
    }
    video.srcObject = stream;
    await video.play();
    running = true;
    cameraToggle.textContent = "Turn camera off";
    setStatus(cameraStatus, "Looking for your face…");
    clearReading();  // not "Camera off" any more: the label says what the first reading waits for
    if (baseline) showCalibration("calibrated");
    else startCalibration();
    readFrames();
  }

  // state: "calibrating" (with the seconds left), "calibrated", "uncalibrated", or "not-relaxed" (the
  // calibration read `notRelaxed`, a clear expression: refused, read uncalibrated, try again).
  function showCalibration(state, secondsLeft) {
    calibrationState.dataset.state = state;
    calibrationState.classList.toggle("warn", state === "uncalibrated" || state === "not-relaxed");
    const texts = {
      calibrating: `Calibrating: relax your face and look at the camera… ${secondsLeft}`,
      calibrated: "Calibrated to you: your expressions are read against your relaxed face.",
      uncalibrated: "Not calibrated: reading without your relaxed face. Recalibrate to read you better.",
      "not-relaxed": `That looked like ${EXPRESSION_WORDS[notRelaxed]} — relax your face and try again. ` +
                     "Not calibrated until then: reading without your relaxed face.",
    };
    calibrationState.textContent = texts[state];
    barsHelp.textContent = {
      calibrating: "",
      calibrated: "Read against your relaxed face, and sharpened so a clear face stands out: at rest neutral leads " +
                  "by far; an expression takes its place.",
      uncalibrated: "The model's own reading of your face.",
      "not-relaxed": "The model's own reading of your face.",
    }[state];
    countdown.hidden = state !== "calibrating";
    countdown.textContent = secondsLeft || "";
    skipButton.hidden = state !== "calibrating";
    recalibrateButton.disabled = !running || state === "calibrating";
    recalibrateButton.textContent = state === "not-relaxed" ? "Try calibration again" : "Recalibrate";
    syncCaptureButtons();
  }

  // The reading shown until now was made against the old baseline (or none): it goes, and Generate waits.
  function startCalibration() {
    calibration = { readings: [], faceMs: 0, lastFaceAt: null };
    notRelaxed = null;
    clearReading();
    showCalibration("calibrating", Math.ceil(CALIBRATION_MS / 1000));
  }

  function calibrate(face, now) {
    if (!face) {
      calibration.lastFaceAt = null;  // only frames with a face count
      return;
    }
    if (calibration.lastFaceAt !== null) calibration.faceMs += Math.min(now - calibration.lastFaceAt, CALIBRATION_MAX_GAP_MS);
    calibration.lastFaceAt = now;
    calibration.readings.push(face.probabilities);
    if (calibration.faceMs < CALIBRATION_MS || calibration.readings.length < CALIBRATION_MIN_READINGS) {
      showCalibration("calibrating", Math.max(1, Math.ceil((CALIBRATION_MS - calibration.faceMs) / 1000)));
      return;
    }
    const mean = average(calibration.readings);
    const total = Object.values(mean).reduce((sum, p) => sum + p, 0);
    const resting = Object.fromEntries(Object.entries(mean).map(([emotion, p]) => [emotion, p / total]));
    calibration = null;
    const top = Object.keys(resting).reduce((best, emotion) => (resting[emotion] > resting[best] ? emotion : best));
    if (top !== "neutral" && resting[top] >= NOT_RELAXED_MIN) {
      // Not a face at rest: keep reading uncalibrated (an earlier baseline too is dropped, as Recalibrate asked
      // for a new one) and say what it looked like.
      baseline = null;
      sessionStorage.removeItem(BASELINE_KEY);
      recent = [];
      notRelaxed = top;
      showCalibration("not-relaxed");
      return;
    }
    baseline = resting;
    sessionStorage.setItem(BASELINE_KEY, JSON.stringify(baseline));
    showCalibration("calibrated");
  }

  function skipCalibration() {
    calibration = null;
    notRelaxed = null;
    baseline = null;
    sessionStorage.removeItem(BASELINE_KEY);
    recent = [];
    showCalibration("uncalibrated");
  }

  function stopCamera() {
    running = false;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    cameraBox.hidden = true;
    cameraToggle.textContent = "Turn camera on";
    setStatus(cameraStatus, "Camera off.");
    drawBox(null);
    calibration = null;  // an unfinished calibration is dropped; an earlier baseline stays
    notRelaxed = null;
    clearReading();
    showCalibration(baseline ? "calibrated" : "uncalibrated");
    barsHelp.textContent = "";
  }

  // No reading (the camera is off, or calibration starts): the label says so, the bars empty and the avatar is
  // neutral and upright.
  function clearReading() {
    recent = [];
    delete label.dataset.emotion;
    for (const row of document.querySelectorAll("#bars li")) {
      row.querySelector(".bar span").style.width = "0%";
      row.querySelector(".bar").setAttribute("aria-valuenow", 0);
      row.querySelector(".value").textContent = "—";
    }
    if (shownEmotion !== null) avatarLive.src = `${app.dataset.previewUrl}&emotion=neutral`;
    shownEmotion = null;
    showTilt(avatarLive, null);
    syncCaptureButtons();
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
          // While calibrating, the raw reading is what the baseline is made of.
          const fields = baseline && !calibration ? { image: blob, baseline: JSON.stringify(baseline) } : { image: blob };
          const response = await post(app.dataset.emotionUrl, fields);
          const data = await response.json();
          if (!running) break;  // the camera was turned off while this frame was read: "Camera off." stays
          if (response.ok) showReading(data, scale);
          else setStatus(cameraStatus, data.error || "The server could not read this frame.", true);
        }
      } catch (error) {
        if (running) setStatus(cameraStatus, "Lost contact with the server; retrying…", true);
      }
      const wait = FRAME_INTERVAL_MS - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  function showReading(data, scale) {
    const now = performance.now();
    const face = data.primary === null ? null : data.faces[data.primary];
    if (calibration) {
      if (!data.calibrated) calibrate(face, now);
      setStatus(cameraStatus, face ? "Hold still with a relaxed face." : "No face seen. Face the camera in good light.", !face);
      drawBox(face ? face.box.map((value) => value / scale) : null);
      return;
    }
    if (Boolean(baseline) !== Boolean(data.calibrated)) return;  // answered before (re)calibration changed
    if (face) {
      lastFaceAt = now;
      recent.push({ probabilities: face.probabilities, roll: face.roll });
      if (recent.length > SMOOTHING_WINDOW) recent.shift();
      setStatus(cameraStatus, data.faces.length > 1 ? `${data.faces.length} faces: following the largest.`
                                                     : "Reading your expression live.");
      drawBox(face.box.map((value) => value / scale));
    } else if (now - lastFaceAt > FACE_LOST_MS) {
      recent = [];
      setStatus(cameraStatus, "No face seen. Face the camera in good light, closer, without covering your face.", true);
      drawBox(null);
    }
    if (!recent.length) return;
    const reading = average(recent.map((entry) => entry.probabilities));
    showProbabilities(reading, data.calibrated);
    const tilt = screenTilt(recent.map((entry) => entry.roll));
    showTilt(avatarLive, tilt);
    if (recording && face) keepReading(reading, tilt, now);
  }

  function average(vectors) {
    const mean = {};
    for (const name of Object.keys(vectors[0])) mean[name] = vectors.reduce((sum, v) => sum + v[name], 0) / vectors.length;
    return mean;
  }

  // The label is the most likely emotion; the bars show the shares (sharpened where calibrated).
  function showProbabilities(probabilities, calibrated) {
    let best = null;
    for (const [emotion, p] of Object.entries(shownShares(probabilities, calibrated))) {
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
    syncCaptureButtons();
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

  async function generateFromPhoto(photo) {
    const fields = { image: photo, avatar: app.dataset.avatarId, format: document.getElementById("format").value,
                     size: document.getElementById("size").value };
    if (baseline) fields.baseline = JSON.stringify(baseline);
    uploadButton.disabled = true;
    await download(() => post(app.dataset.emojiUrl, fields), (response) => {
      showPhotoReading(response.headers.get("X-Probabilities"), response.headers.get("X-Calibrated") === "true");
      return emojiFile(response.headers.get("X-Emotion"));
    }, "No face found in this photo. Try one with a clear, front-facing face.");
    uploadButton.disabled = false;
    // The answer appears in the other column, far below the photo's button: bring it to where the eye is,
    // once the emoji has its size.
    if (!result.hidden) await resultImage.decode().catch(() => {});
    (result.hidden ? generateStatus : result).scrollIntoView({ block: "nearest" });
  }

  // A photo's reading ("happy=0.81,…" from /api/emoji) on the label, the bars and the live avatar.
  function showPhotoReading(header, calibrated) {
    if (!header) return;
    const probabilities = Object.fromEntries(header.split(",").map((pair) => {
      const [emotion, p] = pair.split("=");
      return [emotion, Number(p)];
    }));
    showProbabilities(probabilities, calibrated);
    barsHelp.textContent = "Read from your photo.";
  }

  // An expression as the saved avatar's file: the one the label shows (Generate emoji) or the one the person
  // picks ("Not right? Choose:").
  async function generateEmotion(emotion) {
    const format = document.getElementById("format").value;
    const url = app.dataset.emojiFileUrl.replace("EMOTION", emotion).replace("FORMAT", format) +
                `?size=${document.getElementById("size").value}`;
    await download(() => fetch(url, { credentials: "same-origin" }), () => emojiFile(emotion));
  }

  // An expression's file: its name and caption.
  function emojiFile(emotion) {
    return { emotion, filename: `emoji-${emotion}.${document.getElementById("format").value}`,
             caption: `Your avatar feeling ${FEELINGS[emotion]}.` };
  }

  // Runs `request`, shows the file it answers and downloads it as `describe(response)` names it;
  // `noFaceMessage`, where given, replaces the server's advice when it found no face (422).
  async function download(request, describe, noFaceMessage) {
    downloading = true;
    syncCaptureButtons();
    setStatus(generateStatus, "Making your emoji…");
    try {
      const response = await request();
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        result.hidden = true;  // an earlier emoji is not this attempt's result
        const message = response.status === 422 && noFaceMessage ? noFaceMessage : data.error;
        setStatus(generateStatus, message || `The server answered ${response.status}.`, true);
        return;
      }
      const { emotion, filename, caption } = describe(response);
      const blob = await response.blob();
      if (resultUrl) URL.revokeObjectURL(resultUrl);
      resultUrl = URL.createObjectURL(blob);
      resultImage.src = resultUrl;
      resultCaption.textContent = caption;
      result.hidden = false;
      result.dataset.emotion = emotion;
      resultDownload.href = resultUrl;  // the result's own Download, and the download made now
      resultDownload.download = filename;
      resultDownload.click();
      setStatus(generateStatus, `Downloaded ${filename}. ${caption}`);
    } catch (error) {
      result.hidden = true;
      setStatus(generateStatus, "Could not reach the server. Try again.", true);
    } finally {
      downloading = false;
      syncCaptureButtons();
    }
  }

  function startRecording() {
    if (!running || calibration || recording || !label.dataset.emotion) return;
    recording = { startedAt: performance.now(), readings: [] };
    enable(recordButton, false);
    setStatus(generateStatus, "Recording 3 seconds: your avatar will act out your face…");
    showRecordingProgress();  // the ring and the seconds left appear together
    recordRing.hidden = false;
  }

  // One reading as POST /api/animation takes it: its time, the probabilities, and the avatar's tilt as shown.
  function keepReading(probabilities, tilt, now) {
    const rounded = Object.fromEntries(Object.entries(probabilities)
      .map(([emotion, p]) => [emotion, Number(p.toFixed(4))]));
    const reading = { t: Number(((now - recording.startedAt) / 1000).toFixed(3)), probabilities: rounded };
    if (tilt !== null) reading.roll = tilt;
    recording.readings.push(reading);
  }

  function showRecordingProgress() {
    if (!recording) return;
    const elapsed = performance.now() - recording.startedAt;
    const percent = Math.min(100, (100 * elapsed) / RECORD_MS);
    document.getElementById("record-arc").style.strokeDashoffset = 100 - percent;
    recordRing.setAttribute("aria-valuenow", Math.round(percent));
    document.getElementById("record-countdown").textContent = Math.max(1, Math.ceil((RECORD_MS - elapsed) / 1000));
    if (!running) {
      stopRecording();
      setStatus(generateStatus, "Recording stopped: the camera was turned off.", true);
    } else if (elapsed >= RECORD_MS) sendRecording(stopRecording());
    else requestAnimationFrame(showRecordingProgress);
  }

  function stopRecording() {
    const { readings } = recording;
    recording = null;
    recordRing.hidden = true;
    syncCaptureButtons();
    return readings;
  }

  function sendRecording(recorded) {
    // A tab in the background draws no animation frames: the recording may end late, but keeps its 3 s.
    const readings = recorded.filter((reading) => reading.t <= RECORD_MS / 1000);
    if (readings.length < 2) {
      setStatus(generateStatus,
                "Your face was not seen while recording. Face the camera in good light and try again.", true);
      return;
    }
    const format = document.getElementById("record-format").value;
    const body = JSON.stringify({ avatar: Number(app.dataset.avatarId), frames: readings, format });
    download(() => fetch(app.dataset.animationUrl, {
      method: "POST", body, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken } }),
    () => ({ emotion: "animated", filename: `emoji-animated.${format}`,
             caption: "Your avatar acting out your 3 seconds." }));
  }

  // The self-timer: 3, 2, 1 over the camera, then `action` (a click on its button).
  function startTimer(action, what) {
    if (!running || calibration || timer) return;
    timer = { action, left: TIMER_S, timeout: null };
    timerGenerate.disabled = timerRecord.disabled = true;
    setStatus(generateStatus, `${what} in ${TIMER_S} seconds: make your face! (Escape stops it.)`);
    tick();
  }

  function tick() {
    if (!running) return stopTimer();
    if (timer.left === 0) {
      const { action } = timer;
      stopTimer();
      action();
      return;
    }
    timerCountdown.textContent = timer.left;
    timerCountdown.hidden = false;
    timer.left -= 1;
    timer.timeout = setTimeout(tick, 1000);
  }

  function stopTimer() {
    clearTimeout(timer.timeout);
    timer = null;
    timerCountdown.hidden = true;
    timerCountdown.textContent = "";
    syncCaptureButtons();
  }

  // Space or Enter: Generate emoji; R: Record 3 s — unless the focus is on a control (Space and Enter are
  // its own) or in a field (R is a letter typed).
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || event.defaultPrevented) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest("input, select, textarea, [contenteditable]")) return;
    if (event.key === "Escape" && timer) {
      stopTimer();
      setStatus(generateStatus, "Self-timer stopped.");
    } else if (event.key === "r" || event.key === "R") {
      event.preventDefault();
      recordButton.click();
    } else if ((event.key === " " || event.key === "Enter") && !target.closest("button, a[href], summary")) {
      event.preventDefault();
      if (running) generateButton.click();  // disabled, it does nothing: the label says what it waits for
      else setStatus(generateStatus, "The camera is off: turn it on, or use a photo.", true);
    }
  }

  // The emotion the label shows now, read in the same moment as the click: what is captured is what is shown.
  generateForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const shown = label.dataset.emotion;
    if (running && shown && !downloading) generateEmotion(shown);
  });
  uploadForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!photoInput.files.length) {
      setStatus(generateStatus, "Choose a photo first.", true);
      return;
    }
    generateFromPhoto(photoInput.files[0]);
  });
  cameraToggle.addEventListener("click", () => (running ? stopCamera() : startCamera()));
  // An SVG has no pixel size: "PNG size" is off while the format is SVG (the page, not the server, turns it
  // off, so without this script nothing is disabled). Also on load, where the browser restored SVG.
  const formatSelect = document.getElementById("format");
  const sizeSelect = document.getElementById("size");
  const syncSize = () => { sizeSelect.disabled = formatSelect.value === "svg"; };
  formatSelect.addEventListener("change", syncSize);
  syncSize();
  skipButton.addEventListener("click", skipCalibration);
  recalibrateButton.addEventListener("click", startCalibration);
  recordButton.addEventListener("click", startRecording);
  timerGenerate.addEventListener("click", () => startTimer(() => generateButton.click(), "Generating"));
  timerRecord.addEventListener("click", () => startTimer(() => recordButton.click(), "Recording"));
  document.addEventListener("keydown", onKey);
  for (const button of document.querySelectorAll("#choices button[data-emotion]")) {
    button.addEventListener("click", () => generateEmotion(button.dataset.emotion));
  }
  startCamera();
})();
