// The avatar form, enhanced: a live preview, picture tiles that follow the look, and "Random" without a
// page load. The preview and the tiles are the server's own renderings of the form's current values, so what
// you see is exactly what the emoji will look like. Without JavaScript the form still works: the tiles show
// the look as loaded, and "Random" is a link that reloads the page with a random look.
(function () {
  "use strict";
  const form = document.getElementById("avatar-form");
  const preview = document.getElementById("avatar-preview");
  const emotion = document.getElementById("preview-emotion");
  const random = document.getElementById("randomize");
  const status = document.getElementById("form-status");
  if (!form || !preview) return;
  const skip = new Set(["csrfmiddlewaretoken", "name", "gender"]);

  function currentLook() {
    const look = new Map();
    for (const [key, value] of new FormData(form)) if (!skip.has(key)) look.set(key, value);
    return look;
  }

  function updatePreview() {
    const params = new URLSearchParams([...currentLook()]);
    params.set("emotion", emotion.value);
    preview.src = preview.dataset.previewUrl + "?" + params.toString();
  }

  // Each tile shows this avatar wearing the tile's option: its URL is the current look with that one part
  // set. Keys keep their order so that unchanged tiles keep their URL (no new request, and the browser cache
  // and the server's render cache are hit).
  function updateTiles() {
    const look = currentLook();
    for (const image of form.querySelectorAll(".tiles img")) {
      const input = image.previousElementSibling;
      const [path, query] = image.getAttribute("src").split("?");
      const params = new URLSearchParams(query);
      for (const [key, value] of look) {
        if (key === input.name) continue;
        if (value) params.set(key, value);
        else params.delete(key);
      }
      const url = path + "?" + params.toString();
      if (url !== image.getAttribute("src")) image.src = url;
    }
  }

  function update() {
    updatePreview();
    updateTiles();
  }

  // A shirt graphic shows only on the graphic shirt (its tiles are drawn on it): picking one puts it on.
  function wearGraphic(event) {
    const clothing = form.elements.clothing;
    const graphicShirt = form.dataset.graphicClothing;
    if (event.target.name !== "shirt_graphic" || event.target.value === "NONE" || clothing.value === graphicShirt) return;
    clothing.value = graphicShirt;
    const label = form.querySelector(`input[name="clothing"][value="${graphicShirt}"]`).closest("label").textContent.trim();
    status.textContent = `Clothing is now “${label}”: the graphic is printed on it.`;
    status.hidden = false;
  }

  async function randomize(event) {
    event.preventDefault();
    const params = new URLSearchParams({ seed: Math.floor(Math.random() * 2 ** 31) });
    if (form.elements.gender.value) params.set("gender", form.elements.gender.value);
    try {
      const response = await fetch(random.dataset.randomUrl + "?" + params.toString());
      if (!response.ok) throw new Error(response.statusText);
      const { look } = await response.json();
      for (const [name, value] of Object.entries(look)) {
        const field = form.elements[name];
        if (field && name !== "shirt_text") field.value = value;  // a radio group's value checks that radio
      }
      update();
    } catch (error) {
      window.location.href = random.href;  // the page-load way
    }
  }

  form.addEventListener("change", (event) => {
    wearGraphic(event);
    update();
  });
  form.addEventListener("input", (event) => { if (event.target.type === "text") updatePreview(); });
  emotion.addEventListener("change", updatePreview);
  random.addEventListener("click", randomize);
  // The page came with the preview and the tiles of its look; only a form the browser restored differs.
  window.addEventListener("pageshow", (event) => { if (event.persisted) update(); });
})();
