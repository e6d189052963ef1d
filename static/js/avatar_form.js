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
    show(preview, preview.dataset.previewUrl + "?" + params.toString());
  }

  // A picture still loading keeps its request: a new src would abort it, and Random used to abort ~100 tile
  // requests the server had begun drawing. The preview keeps showing the last look it loaded; the newest URL
  // waits in data-next and replaces it once the one on its way has come.
  function show(image, url) {
    if (url === image.getAttribute("src")) delete image.dataset.next;
    else if (!image.complete) image.dataset.next = url;
    else {
      delete image.dataset.next;
      image.src = url;
    }
  }

  function showNext() {
    const url = preview.dataset.next;
    delete preview.dataset.next;
    if (url) show(preview, url);
  }

  // A tile not loaded yet may be on its way or not asked for at all (a lazy tile out of sight; the page cannot
  // tell which): a fresh image takes its place, and the old one's request, if any, ends unseen, not aborted.
  function showTile(image, url) {
    if (url === image.getAttribute("src")) return;
    if (image.complete) image.src = url;
    else {
      const fresh = image.cloneNode();
      fresh.src = url;
      image.replaceWith(fresh);
    }
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
      showTile(image, path + "?" + params.toString());
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

  let rolls = 0;  // only the newest Random's answer is applied, whatever order the answers come in

  async function randomize(event) {
    event.preventDefault();
    const roll = ++rolls;
    const params = new URLSearchParams({ seed: Math.floor(Math.random() * 2 ** 31) });
    if (form.elements.gender.value) params.set("gender", form.elements.gender.value);
    try {
      const response = await fetch(random.dataset.randomUrl + "?" + params.toString());
      if (!response.ok) throw new Error(response.statusText);
      const { look } = await response.json();
      if (roll !== rolls) return;
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
  preview.addEventListener("load", showNext);
  preview.addEventListener("error", showNext);
  // The page came with the preview and the tiles of its look; only a form the browser restored differs.
  window.addEventListener("pageshow", (event) => { if (event.persisted) update(); });
})();
