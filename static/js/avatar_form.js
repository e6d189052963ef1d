// The avatar form, enhanced: a live preview, picture tiles that follow the look, and "Random" without a
// page load. The preview and the tiles are the server's own renderings of the form's current values, so what
// you see is exactly what the emoji will look like. Without JavaScript the form still works: the tiles show
// the look as loaded, and "Random" is a link that reloads the page with a random look.

// Step 1, the gender pictures: on a touch screen a tap on one goes straight on to step 2. A mouse click or the
// arrow keys only pick (the arrow keys "click" too, with no pointer), and Next goes on, as it does without
// JavaScript.
(function () {
  "use strict";
  const genders = document.querySelector(".gender-choices");
  if (!genders) return;
  let pointer = "";  // the kind of the last pointer pressed, for browsers whose click events do not say it
  genders.addEventListener("pointerdown", (event) => { pointer = event.pointerType; });
  genders.addEventListener("click", (event) => {
    const kind = event.pointerType || pointer;
    if (event.detail === 0 || !(kind === "touch" || kind === "pen") || !event.target.matches('input[name="gender"]')) return;
    genders.form.requestSubmit();
  });
})();

(function () {
  "use strict";
  const form = document.getElementById("avatar-form");
  const preview = document.getElementById("avatar-preview");
  const emotion = document.getElementById("preview-emotion");
  const random = document.getElementById("randomize");
  const status = document.getElementById("form-status");
  if (!form || !preview) return;
  const skip = new Set(["csrfmiddlewaretoken", "name", "gender"]);
  let previewReady = preview.complete;  // the preview of the newest look has come (or failed)

  function currentLook() {
    const look = new Map();
    for (const [key, value] of new FormData(form)) if (!skip.has(key)) look.set(key, value);
    return look;
  }

  function updatePreview() {
    const params = new URLSearchParams([...currentLook()]);
    params.set("emotion", emotion.value);
    const url = preview.dataset.previewUrl + "?" + params.toString();
    if (url === preview.getAttribute("src")) return;
    previewReady = false;
    preview.src = url;  // a preview still on its way is cancelled: only the newest look is worth drawing
  }

  function previewEnded() {
    previewReady = true;
    drawTiles();
  }

  // Each tile shows this avatar wearing the tile's option: its URL is the current look with that one part
  // set. Keys keep their order so that unchanged tiles keep their URL (no new request, and the browser cache
  // and the server's render cache are hit).
  function tileUrl(image, look) {
    const input = image.previousElementSibling;
    const [path, query] = (image.getAttribute("src") || image.dataset.want).split("?");
    const params = new URLSearchParams(query);
    for (const [key, value] of look) {
      if (key === input.name) continue;
      if (value) params.set(key, value);
      else params.delete(key);
    }
    return path + "?" + params.toString();
  }

  // A new look never aborts a tile's request, and the server draws only tiles someone may see. A tile's URL
  // waits in data-want until the tile is near the screen (tiles under "More options" wait until it opens), the
  // preview of the newest look has come (the preview goes first, and a burst of Randoms is one redraw), and the
  // tile's own request, if one is on its way, has ended. At most MAX_TILE_REQUESTS tile requests are out at
  // once, the browser's other connections kept for the preview; the tiles on the screen go first, nearest
  // where the eye is (the option just picked, else the middle of the screen). A tile changed by this script
  // loads eagerly: this script is its lazy loading.
  // Until its new picture has come, a tile still shows an older look (the browser keeps the old picture while
  // the new one loads): it is marked busy (class "stale", aria-busy="true"), never silently wrong.
  const MAX_TILE_REQUESTS = 4;
  const tiles = [...form.querySelectorAll(".tiles img")];
  const near = new Set();     // tiles on or near the screen
  const loading = new Set();  // tiles with a request this script began, on its way
  const asked = new Set();    // tiles the browser may be fetching since the page loaded: left as they are
  const shown = new Map();    // tile → the URL of the picture it shows (none before its first has come)
  let eye = null;             // the option picked last, where the person is looking
  for (const image of tiles) {
    image.addEventListener("load", tileEnded);
    image.addEventListener("error", tileEnded);
    if (image.complete) {
      if (image.naturalWidth > 0) shown.set(image, image.getAttribute("src"));
      continue;
    }
    // The browser defers a lazy picture out of sight (its request not begun: nothing to abort), and fetches
    // one in sight, which may be on its way now. A tile under the closed "More options" is out of sight though
    // Chromium gives it a box (a closed <details>' content is content-visibility: hidden, not display: none).
    if (image.getClientRects().length === 0 || image.closest("details:not([open])")) {
      image.dataset.want = image.getAttribute("src");
      image.removeAttribute("src");
    } else asked.add(image);
  }

  // Stale: the tile has a picture, or one on its way, and a newer look waits, or its picture is of an older look
  // than the one on its way. A tile whose first picture is still to come shows nothing wrong.
  function markStale(image) {
    const src = image.getAttribute("src");
    const stale = src !== null && (Boolean(image.dataset.want) || (shown.has(image) && shown.get(image) !== src));
    const tile = image.closest(".tile");
    if (tile.classList.contains("stale") === stale) return;
    tile.classList.toggle("stale", stale);
    if (stale) tile.setAttribute("aria-busy", "true");
    else tile.removeAttribute("aria-busy");
  }

  function tileEnded(event) {
    const image = event.target;
    loading.delete(image);
    asked.delete(image);
    shown.set(image, image.getAttribute("src"));  // a picture that failed shows no older look either
    markStale(image);
    drawTiles();
  }

  function updateTiles() {
    const look = currentLook();
    for (const image of tiles) {
      const url = tileUrl(image, look);
      if (url === image.getAttribute("src")) delete image.dataset.want;
      else image.dataset.want = url;
      markStale(image);
    }
    drawTiles();
  }

  // Where the eye is: the option just picked when it is on the screen, else the middle of the screen.
  function eyePoint() {
    const box = eye && eye.getBoundingClientRect();
    if (box && box.width && box.bottom > 0 && box.top < window.innerHeight)
      return [box.left + box.width / 2, box.top + box.height / 2];
    return [window.innerWidth / 2, window.innerHeight / 2];
  }

  function drawTiles() {
    if (!previewReady) return;
    const waiting = tiles.filter((image) => image.dataset.want && near.has(image) && !loading.has(image)
                                 && !asked.has(image));
    if (!waiting.length || loading.size >= MAX_TILE_REQUESTS) return;
    // Tiles on the screen first, then those just above or below it; each nearest the eye first.
    const [x, y] = eyePoint();
    const rank = new Map(waiting.map((image) => {
      const box = image.getBoundingClientRect();
      const offScreen = box.bottom <= 0 || box.top >= window.innerHeight;
      return [image, [offScreen, Math.hypot(box.left + box.width / 2 - x, box.top + box.height / 2 - y)]];
    }));
    waiting.sort((a, b) => rank.get(a)[0] - rank.get(b)[0] || rank.get(a)[1] - rank.get(b)[1]);
    for (const image of waiting) {
      if (loading.size >= MAX_TILE_REQUESTS) break;
      loading.add(image);
      image.loading = "eager";
      image.src = image.dataset.want;
      delete image.dataset.want;
      markStale(image);
    }
  }

  if ("IntersectionObserver" in window) {
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) near.add(entry.target);
        else near.delete(entry.target);
      }
      drawTiles();
    }, { rootMargin: "300px 0px" });
    for (const image of tiles) observer.observe(image);
  } else for (const image of tiles) near.add(image);

  function update() {
    updatePreview();
    updateTiles();
  }

  // A shirt graphic shows only on the graphic shirt (its tiles are drawn on it): picking one puts it on, and a
  // notice under the graphics says so. The notice goes as soon as it is no longer true (other clothing, no
  // graphic) and with Random, which replaces the whole look.
  const graphicShirt = form.dataset.graphicClothing;

  function wearGraphic() {
    const clothing = form.elements.clothing;
    if (form.elements.shirt_graphic.value === "NONE" || clothing.value === graphicShirt) return;
    clothing.value = graphicShirt;
    const label = form.querySelector(`input[name="clothing"][value="${graphicShirt}"]`).closest("label").textContent.trim();
    status.textContent = `Clothing is now “${label}”: the graphic is printed on it.`;
    status.hidden = false;
  }

  function clearNotice() {
    status.hidden = true;
    status.textContent = "";
  }

  function noticeStillTrue() {
    return form.elements.clothing.value === graphicShirt && form.elements.shirt_graphic.value !== "NONE";
  }

  // The shirt's own text, under its tile: typing picks "Your own text" (and so the graphic shirt), and a count
  // beside the field shows how much of its maxlength is used; a character past it, which the browser drops,
  // is said instead of vanishing silently.
  const shirtText = form.elements.shirt_text;
  const textCount = document.createElement("span");
  let textRefused = false;

  function showTextCount() {
    const used = shirtText.value.length, most = shirtText.maxLength;
    textCount.textContent = textRefused && used >= most ? `${used}/${most}: no more fit on the shirt` : `${used}/${most}`;
    textCount.classList.toggle("at-limit", used >= most);
  }

  function typedShirtText() {
    const custom = form.querySelector('input[name="shirt_graphic"][value="CUSTOM_TEXT"]');
    if (shirtText.value && custom && !custom.checked) {
      custom.checked = true;
      eye = custom.closest("label");
      wearGraphic();
      update();
    } else updatePreview();
  }

  if (shirtText && shirtText.maxLength > 0) {
    textCount.className = "char-count";
    textCount.id = shirtText.id + "-count";
    shirtText.after(textCount);
    shirtText.setAttribute("aria-describedby", [shirtText.getAttribute("aria-describedby"), textCount.id].filter(Boolean).join(" "));
    shirtText.addEventListener("beforeinput", (event) => {
      const added = event.data ?? (event.dataTransfer ? event.dataTransfer.getData("text/plain") : "");
      const selected = shirtText.selectionEnd - shirtText.selectionStart;
      textRefused = Boolean(added) && shirtText.value.length - selected + added.length > shirtText.maxLength;
      if (textRefused) showTextCount();  // nothing may change, so no input event comes: said now
    });
    shirtText.addEventListener("input", () => {
      showTextCount();
      textRefused = false;
    });
    showTextCount();
  }

  // The sticky Save bar covers the bottom of the screen, and the browser scrolls a focused field only into the
  // screen, not clear of the bar: a field (or a tile reached with the keyboard) focused behind it is scrolled
  // up above it. A tile clicked stays where the pointer is.
  const actions = form.querySelector(".form-actions");
  form.addEventListener("focusin", (event) => {
    if (!actions || actions.contains(event.target) || !event.target.matches(":focus-visible")) return;
    const field = event.target.closest("label.tile") || event.target;
    const hidden = field.getBoundingClientRect().bottom + 8 - actions.getBoundingClientRect().top;
    if (hidden > 0) window.scrollBy(0, hidden);
  });

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
      eye = null;  // the whole look changed: the middle of the screen
      clearNotice();
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
    eye = event.target.closest("label") || event.target;
    if (event.target.name === "shirt_graphic") wearGraphic();
    if (!noticeStillTrue()) clearNotice();
    update();
  });
  form.addEventListener("input", (event) => {
    if (event.target === shirtText) typedShirtText();
    else if (event.target.type === "text") updatePreview();
  });
  emotion.addEventListener("change", updatePreview);
  random.addEventListener("click", randomize);
  preview.addEventListener("load", previewEnded);
  preview.addEventListener("error", previewEnded);
  // The page came with the preview and the tiles of its look; only a form the browser restored differs.
  window.addEventListener("pageshow", (event) => { if (event.persisted) update(); });
})();
