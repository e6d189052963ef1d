// Live preview and the Random button on the avatar form. The preview is the server's own SVG rendering of
// the form's current values, so what you see is exactly what the emoji will look like.
(function () {
  "use strict";
  const form = document.getElementById("avatar-form");
  const preview = document.getElementById("avatar-preview");
  const emotion = document.getElementById("preview-emotion");
  if (!form || !preview) return;
  const skip = new Set(["csrfmiddlewaretoken", "name"]);

  function updatePreview() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (!skip.has(key)) params.append(key, value);
    params.set("emotion", emotion.value);
    preview.src = preview.dataset.previewUrl + "?" + params.toString();
  }

  function randomize() {
    for (const select of form.querySelectorAll("select")) {
      if (select.name === "gender") continue;
      const options = select.querySelectorAll("option");
      select.value = options[Math.floor(Math.random() * options.length)].value;
    }
    updatePreview();
  }

  form.addEventListener("input", updatePreview);
  form.addEventListener("change", updatePreview);
  emotion.addEventListener("change", updatePreview);
  document.getElementById("randomize").addEventListener("click", randomize);
  updatePreview();
})();
