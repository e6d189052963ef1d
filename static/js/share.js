// Share buttons (templates/_share.html): "Share" uses the Web Share API where there is one (phones), with the
// PNG itself when the browser can share files, else copies the link; "Copy image" (desktop) puts the PNG on
// the clipboard; "Copy link" copies the share URL. Each says what it did in the box's status line.
(function () {
  "use strict";
  const canCopyImage = Boolean(navigator.clipboard && navigator.clipboard.write && window.ClipboardItem) &&
    window.matchMedia("(hover: hover) and (pointer: fine)").matches;

  // The picture as a PNG blob: a URL, or the current src of an <img> named by a selector (e.g. the emoji just
  // made, which may be an SVG: drawn on a canvas to become a PNG).
  async function pngOf(box) {
    const source = box.dataset.shareImage;
    const element = source.startsWith("#") ? document.querySelector(source) : null;
    const blob = await (await fetch(element ? element.src : source, { credentials: "same-origin" })).blob();
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

  async function share(box) {
    const url = box.dataset.shareUrl;
    const title = box.dataset.shareTitle;
    if (navigator.share) {
      const file = new File([await pngOf(box)], box.dataset.shareFilename || "emoji.png", { type: "image/png" });
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
