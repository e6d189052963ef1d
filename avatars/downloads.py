"""Emoji files as HTTP downloads: one expression (SVG/PNG), an animation (WebP/GIF) or the whole sticker pack
(ZIP)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence

from django.http import HttpResponse

from emotions import EMOTIONS

from .animation import Reading, animate
from .rendering import DEFAULT_PNG_SIZE, fit_webp, render_png, render_rgba, render_svg, render_webp

CONTENT_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "zip": "application/zip",
    "webp": "image/webp",
    "gif": "image/gif",
}
STICKER_SIZE = 512
TRAY_ICON_SIZE = 96
WEBP_MAX_BYTES = 100 * 1024  # WhatsApp's limit for a still sticker


def emoji_bytes(look: Mapping[str, str], emotion: str, file_format: str, size: int = DEFAULT_PNG_SIZE) -> bytes:
    if file_format == "svg":
        return render_svg(look, emotion).encode()
    return render_png(look, emotion, size)


def attachment(content: bytes, file_format: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def emoji_response(
    look: Mapping[str, str], emotion: str, file_format: str, size: int = DEFAULT_PNG_SIZE
) -> HttpResponse:
    return attachment(emoji_bytes(look, emotion, file_format, size), file_format, f"emoji-{emotion}.{file_format}")


def animation_response(
    look: Mapping[str, str], readings: Sequence[Reading], file_format: str, size: int
) -> HttpResponse:
    return attachment(animate(look, readings, file_format, size), file_format, f"emoji-animated.{file_format}")


def _whatsapp_webp(look: Mapping[str, str], emotion: str) -> bytes:
    return fit_webp(lambda quality: render_webp(look, emotion, STICKER_SIZE, quality=quality), WEBP_MAX_BYTES)


def sticker_pack(look: Mapping[str, str]) -> bytes:
    """ZIP: png/ and svg/ (7 expressions each, 512×512), whatsapp/ (transparent 512×512 WebP ≤ 100 KB and
    a 96×96 PNG tray icon)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as pack:
        for emotion in EMOTIONS:
            pack.writestr(f"png/emoji-{emotion}.png", render_png(look, emotion, STICKER_SIZE))
            pack.writestr(f"svg/emoji-{emotion}.svg", render_svg(look, emotion))
            pack.writestr(f"whatsapp/emoji-{emotion}.webp", _whatsapp_webp(look, emotion))
        pack.writestr("whatsapp/tray.png", _tray_icon(look))
    return archive.getvalue()


def _tray_icon(look: Mapping[str, str]) -> bytes:
    output = io.BytesIO()
    render_rgba(look, "happy", TRAY_ICON_SIZE).save(output, "PNG", optimize=True)
    return output.getvalue()


def sticker_pack_response(look: Mapping[str, str], filename: str = "emoji-stickers.zip") -> HttpResponse:
    return attachment(sticker_pack(look), "zip", filename)
