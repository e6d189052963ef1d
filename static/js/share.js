// Share buttons (templates/_share.html): "Share" uses the Web Share API where there is one (phones), with the
// PNG itself when the browser can share files, else copies the link; "Copy image" (desktop) puts the PNG on
// the clipboard; "Copy link" copies the share URL. Each says what it did in the box's status line.
(function () {
  "use strict";
  const canCopyImage = Boolean(navigator.clipboard && navigator.clipboard.write && window.ClipboardItem) &&
    window.matchMedia("(hover: hover) and (pointer: fine)").matches;

  // The picture as a PNG blob: a URL, or the current src of an <img> named by a selector (e.g. the emoji just
  // made, which may be an SVG: drawn on a canvas to become a PNG).
  function elementOf(box) {
    const source = box.dataset.shareImage;
    return source.startsWith("#") ? document.querySelector(source) : null;
  }

  function sourceOf(box) {
    const element = elementOf(box);
    return element ? element.src : box.dataset.shareImage;
  }

  async function pngOf(box) {
    const element = elementOf(box);
    const blob = await (await fetch(sourceOf(box), { credentials: "same-origin" })).blob();
    if (blob.type === "image/png") return blob;
    const picture = await createImageBitmap(element || blob);
    const canvas = document.createElement("canvas");
    canvas.width = picture.width || 512;
    canvas.height = picture.height || 512;
    canvas.getContext("2d").drawImage(picture, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }

  async function copyText(text, field) {
    if (navigator.clipboard && navigator.clipboard.writeText) return navigator.clipboard.writeText(text);
    field.select();  // older browsers and plain-HTTP pages: the selection way
    if (!document.execCommand("copy")) throw new Error("copy refused");
  }

  // Safari lets navigator.share run only straight from the tap, not after awaiting a fetch: the PNG file is
  // made ahead (on load, and again when a finger or the focus reaches the button for a new picture), so the
  // click shares it at once.
  const prepared = new WeakMap();  // box → { source, promise, file }

  function prepare(box) {
    const source = sourceOf(box);
    const current = prepared.get(box);
    if (current && current.source === source) return current.promise;
    const entry = { source, file: null };
    entry.promise = pngOf(box).then((blob) => {
      entry.file = new File([blob], box.dataset.shareFilename || "emoji.png", { type: "image/png" });
      return entry.file;
    });
    entry.promise.catch(() => prepared.delete(box));  // tried again on the next tap
    prepared.set(box, entry);
    return entry.promise;
  }

  async function share(box) {
    const url = box.dataset.shareUrl;
    const title = box.dataset.shareTitle;
    if (navigator.share) {
      const entry = prepared.get(box);
      const file = entry && entry.file && entry.source === sourceOf(box) ? entry.file : await prepare(box);
      const data = navigator.canShare && navigator.canShare({ files: [file] }) ? { files: [file], title, url } : { title, url };
      try {
        await navigator.share(data);
        return "Shared.";
      } catch (error) {
        if (error.name === "AbortError") return "";  // the person closed the share sheet
      }
    }
    await copyText(url, box.querySelector("input"));
    return "Link copied: paste it anywhere.";
  }

  for (const box of document.querySelectorAll(".share")) {
    const status = box.querySelector(".share-status");
    const actions = {
      share: () => share(box),
      "copy-image": async () => {
        await navigator.clipboard.write([new ClipboardItem({ "image/png": pngOf(box) })]);
        return "Image copied: paste it into a chat or document.";
      },
      "copy-link": async () => {
        await copyText(box.dataset.shareUrl, box.querySelector("input"));
        return "Link copied.";
      },
    };
    if (navigator.share) {
      if (sourceOf(box)) prepare(box).catch(() => {});
      const shareButton = box.querySelector('button[data-action="share"]');
      for (const event of ["touchstart", "pointerdown", "focus"]) {
        shareButton?.addEventListener(event, () => prepare(box).catch(() => {}), { passive: true });
      }
    }
    for (const button of box.querySelectorAll("button[data-action]")) {
      button.hidden = button.dataset.action === "copy-image" && !canCopyImage;
      button.addEventListener("click", async () => {
        try {
          status.textContent = await actions[button.dataset.action]();
        } catch (error) {
          status.textContent = "That did not work here: copy the link by hand.";
        }
      });
    }
  }
})();
