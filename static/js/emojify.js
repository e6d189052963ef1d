// Emojify page: posts the photo to /api/emojify and shows the result with what was found.
// Without JavaScript the form still posts there and the browser shows the picture.
(function () {
  "use strict";
  const form = document.getElementById("emojify-form");
  const status = document.getElementById("emojify-status");
  const figure = document.getElementById("emojify-result");
  const image = document.getElementById("emojify-result-image");
  const caption = document.getElementById("emojify-caption");
  const download = document.getElementById("emojify-download");
  const button = document.getElementById("emojify-button");
  let url = null;

  function say(message, warn) {
    status.hidden = false;
    status.textContent = message;
    status.classList.toggle("warn", Boolean(warn));
  }

  // A new attempt replaces the last result: a failure must not leave the previous picture under its message.
  function clearResult() {
    figure.hidden = true;
    image.removeAttribute("src");
    download.removeAttribute("href");
    caption.textContent = "";
    if (url) URL.revokeObjectURL(url);
    url = null;
  }

  // X-Emotions comes largest face first; X-Face-Boxes ("x,y,w,h;…", same order) says where each face is.
  function leftToRight(emotions, boxes) {
    const lefts = (boxes || "").split(";").map((box) => Number(box.split(",")[0]));
    if (lefts.length !== emotions.length || lefts.some(Number.isNaN)) return emotions;
    return emotions.map((emotion, index) => [lefts[index], emotion]).sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    clearResult();
    say("Finding faces…");
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value } });
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        say(data.error || `The server answered ${response.status}.`, true);
        return;
      }
      const faces = Number(response.headers.get("X-Faces"));
      const emotions = response.headers.get("X-Emotions");
      const tooSmall = Number(response.headers.get("X-Faces-Too-Small") || 0);
      if (!faces) {
        say(tooSmall ? `The face${tooSmall > 1 ? "s are" : " is"} too small to read: try a closer or larger photo.`
                     : "No face found in this photo. Try one where the faces are clear and face the camera.", true);
        return;
      }
      url = URL.createObjectURL(await response.blob());
      image.src = url;
      download.href = url;
      download.download = "emojified." + (form.format.value === "jpeg" ? "jpg" : "png");
      caption.textContent = `${faces} face${faces > 1 ? "s" : ""}${faces > 1 ? " from left to right" : ""}: ` +
        `${leftToRight(emotions.split(","), response.headers.get("X-Face-Boxes")).join(", ")}.`;
      if (tooSmall) caption.textContent += ` ${tooSmall} face${tooSmall > 1 ? "s were" : " was"} too small to read and left as is.`;
      figure.hidden = false;
      say("Done.");
    } catch (error) {
      say("Could not reach the server. Try again.", true);
    } finally {
      button.disabled = false;
    }
  });
})();
