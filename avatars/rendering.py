"""Render an avatar look + emotion to SVG (python-avatars), PNG (cairosvg, see raster.py) and WebP (Pillow).

Deterministic: every python-avatars argument is passed explicitly (it randomises what is omitted), and
element ids are made unique per rendered SVG with a prefix derived from the look and emotion, so the same
input gives byte-identical output in every process while different avatars on one page never collide.
Results are cached by look + emotion (+ size).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache

import python_avatars as pa
from PIL import Image

from emotions import FEELINGS

from . import raster
from .expressions import EXPRESSIONS
from .vocabulary import ATTRIBUTE_ENUMS, member

PNG_SIZES = (128, 1024)  # inclusive bounds
DEFAULT_PNG_SIZE = 512
SVG_SIDE = 280  # python-avatars draws on 264×280; we centre that on a square canvas

_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(url\(#|href="#)([^)"]+)')


def look_key(look: Mapping[str, str]) -> tuple:
    """A hashable, order-independent cache key for a look."""
    return tuple(sorted((name, str(value)) for name, value in look.items()))


def shirt_text(look: Mapping[str, str]) -> str:
    return look.get("shirt_text") or " "


def build_avatar(look: Mapping[str, str], emotion: str, *, transparent: bool = False, blink: bool = False) -> pa.Avatar:
    """The avatar wearing `emotion`'s expression; `blink`: with its eyes closed, an animation's blink."""
    expression = EXPRESSIONS[emotion]
    arguments = {name: member(name, look[name]) for name in ATTRIBUTE_ENUMS}
    if transparent:
        arguments["style"] = pa.AvatarStyle.TRANSPARENT
    if arguments["top"] in pa.HatType:  # python-avatars tells hats from hair by enum class
        arguments["top"] = pa.HatType[look["top"]]
    return pa.Avatar(
        **arguments,
        eyes=pa.EyeType.CLOSED if blink else expression.eyes,
        eyebrows=expression.eyebrows,
        mouth=expression.mouth,
        shirt_text=shirt_text(look),
        title=f"Avatar feeling {FEELINGS[emotion]}",
    )


def _scope_ids(svg: str, prefix: str) -> str:
    """Prefix every id and reference; repair references python-avatars forgot to rename.

    python-avatars renames each part's ids to `<part>_<id>` but only rewrites clip-path/filter/mask and
    xlink:href, so e.g. the sunglasses' `fill="url(#linearGradient-2)"` points at nothing; such a
    reference is matched to the one id that ends in `_<id>`.
    """
    ids = set(_ID.findall(svg))
    by_suffix = {}
    for identifier in ids:
        by_suffix.setdefault(identifier.split("_", 1)[-1], []).append(identifier)

    def resolve(reference: str) -> str:
        if reference not in ids and len(by_suffix.get(reference, [])) == 1:
            reference = by_suffix[reference][0]
        return f"{prefix}{reference}"

    svg = _REFERENCE.sub(lambda match: f"{match[1]}{resolve(match[2])}", svg)
    # Some parts repeat an id inside one file (e.g. two "Squint" groups); later copies get a suffix so
    # every id in the document is unique. References keep pointing at the first, as browsers resolve them.
    seen: dict[str, int] = {}

    def unique(match) -> str:
        identifier = match[1]
        seen[identifier] = seen.get(identifier, 0) + 1
        suffix = f"-copy{seen[identifier]}" if seen[identifier] > 1 else ""
        return f'id="{prefix}{identifier}{suffix}"'

    return _ID.sub(unique, svg)


def _square(svg: str) -> str:
    margin = (SVG_SIDE - 264) // 2
    return svg.replace(
        'width="264px" height="280px" viewBox="0 0 264 280"',
        f'width="{SVG_SIDE}" height="{SVG_SIDE}" viewBox="{-margin} 0 {SVG_SIDE} {SVG_SIDE}"',
        1,
    )


# Hair styles python-avatars draws in fixed colours (no "Hair-Color" group to fill, or one whose shape keeps a
# fill of its own): the ids of their coloured shapes, given the chosen hair colour here. Without it "Shaved
# sides" stayed blonde and "Straight 2" auburn whatever colour was picked.
FIXED_COLOUR_HAIR = {
    pa.HairType.SHAVED_SIDES: ("shaved_sides_Hair", "shaved_sides_Copetón"),
    pa.HairType.STRAIGHT_2: ("straight_2_Color",),
}


def _colour_fixed_hair(svg: str, look: Mapping[str, str]) -> str:
    colour = member("hair_color", look["hair_color"]).value
    for identifier in FIXED_COLOUR_HAIR.get(member("top", look["top"]), ()):
        svg = re.sub(f'(id="{re.escape(identifier)}" fill=")#[0-9A-Fa-f]{{6}}"', rf'\g<1>{colour}"', svg)
    return svg


# The custom shirt text as python-avatars' custom_text.svg sets it (28 px, centred, baseline at y 259 of the
# drawing), which left 12 characters running off the shirt: "HELLO WORLD!" showed as "ELLO WORL".
SHIRT_FONT_FAMILY, SHIRT_FONT_SIZE, SHIRT_LETTER_SPACING = "Avenir-Heavy, Avenir", 28, -0.4590163  # weight 600: bold
SHIRT_TEXT_BASELINE = 259
# The narrowest the shirt is where the text sits: the circle background (centre y 160, radius 120) clips it
# there, 135 units wide at the baseline; the text keeps 8 units clear of each edge.
SHIRT_TEXT_WIDTH = 2 * math.sqrt(120**2 - (SHIRT_TEXT_BASELINE - 160) ** 2) - 2 * 8
_SHIRT_TEXT = re.compile(r'(<text id="[^"]*Graphic-Text"[^>]*?) x="50%"')
_SHIRT_TEXT_STYLE = re.compile(r'(<text id="[^"]*Graphic-Text"[^>]*?) style="[^"]*"')


def _fit_shirt_text(svg: str, text: str) -> str:
    """The shirt text centred on the avatar and shrunk to fit the shirt: the font size from the width cairosvg
    draws it (PNG, WebP), and that width as textLength for browsers, whose fallback fonts for Avenir differ.
    x="50%" was the middle of python-avatars' 264-unit drawing but lands 8 units right of it on our square; the
    anchor is an attribute, as the site's Content-Security-Policy drops style="text-anchor: middle" from the
    SVGs inlined in its pages (the gallery), which drew the text from the middle rightwards."""
    if not _SHIRT_TEXT.search(svg):  # no custom text on this look
        return svg

    def width_at(size: float) -> float:
        return raster.text_width(text, SHIRT_FONT_FAMILY, size, bold=True, letter_spacing=SHIRT_LETTER_SPACING)

    size, width = SHIRT_FONT_SIZE, width_at(SHIRT_FONT_SIZE)
    if width > SHIRT_TEXT_WIDTH:
        size *= SHIRT_TEXT_WIDTH / width  # the width grows with the font size
        width = width_at(size)
    attributes = (
        f' x="132" text-anchor="middle" font-size="{size:.2f}" textLength="{width:.2f}" lengthAdjust="spacingAndGlyphs"'
    )
    svg = _SHIRT_TEXT.sub(lambda match: match[1] + attributes, svg, count=1)
    # python-avatars also writes style="text-anchor: middle; ominant-baseline: middle" (sic) on the tag: the
    # attribute above does its work, and an inline style is what the Content-Security-Policy refuses, with a
    # console error each time a page shows the SVG.
    return _SHIRT_TEXT_STYLE.sub(r"\1", svg, count=1)


@lru_cache(maxsize=512)
def _svg(key: tuple, emotion: str, transparent: bool, blink: bool = False) -> str:
    look = dict(key)
    svg = build_avatar(look, emotion, transparent=transparent, blink=blink).render()
    svg = _fit_shirt_text(_colour_fixed_hair(svg, look), shirt_text(look))
    prefix = "av" + hashlib.sha1(repr((key, emotion, transparent, blink)).encode()).hexdigest()[:10] + "-"
    return _square(_scope_ids(svg, prefix))


def render_svg(look: Mapping[str, str], emotion: str, *, transparent: bool = False) -> str:
    """Square SVG of the avatar wearing `emotion`'s expression."""
    return _svg(look_key(look), emotion, transparent)


@lru_cache(maxsize=256)
def _png(key: tuple, emotion: str, size: int, transparent: bool, blink: bool = False) -> bytes:
    return raster.png_bytes(_svg(key, emotion, transparent, blink), size)


def render_png(
    look: Mapping[str, str],
    emotion: str,
    size: int = DEFAULT_PNG_SIZE,
    *,
    transparent: bool = False,
    blink: bool = False,
) -> bytes:
    if not PNG_SIZES[0] <= size <= PNG_SIZES[1]:
        raise ValueError(f"PNG size must be {PNG_SIZES[0]}–{PNG_SIZES[1]}")
    return _png(look_key(look), emotion, size, transparent, blink)


def render_rgba(
    look: Mapping[str, str], emotion: str, size: int, *, transparent: bool = True, blink: bool = False
) -> Image.Image:
    """Pillow RGBA image of any size ≥ 1 (for overlays on photos, animation frames), via the cached PNG where
    possible."""
    rendered = render_png(
        look, emotion, min(max(size, PNG_SIZES[0]), PNG_SIZES[1]), transparent=transparent, blink=blink
    )
    image = Image.open(io.BytesIO(rendered)).convert("RGBA")
    return image if image.width == size else image.resize((size, size), Image.LANCZOS)


def fit_webp(encode: Callable[[int], bytes], max_bytes: int) -> bytes:
    """`encode(quality)` at falling WebP qualities until the bytes fit `max_bytes` (WhatsApp's limits for
    stickers); the lowest quality's bytes if none does."""
    for quality in (80, 65, 50, 35):
        data = encode(quality)
        if len(data) <= max_bytes:
            break
    return data


def render_webp(look: Mapping[str, str], emotion: str, size: int = DEFAULT_PNG_SIZE, *, quality: int = 80) -> bytes:
    """Transparent WebP (WhatsApp sticker format)."""
    output = io.BytesIO()
    # method 4: ~20 ms a sticker; method 6 takes seconds for files only ~4% smaller.
    render_rgba(look, emotion, size).save(output, "WEBP", quality=quality, method=4)
    return output.getvalue()


# Picture tiles on the avatar form: the avatar wearing one option, cropped to the part that option changes
# (viewBox x, y, side on the square canvas). Parts not listed show the whole avatar.
THUMBNAIL_CROPS = {
    "top": (32, 0, 200),
    "accessory": (62, 50, 140),
    "facial_hair": (57, 60, 150),
    "nose": (92, 88, 80),
    "clothing": (42, 110, 170),
    "shirt_graphic": (62, 150, 130),
}
THUMBNAIL_PARTS = ("top", "accessory", "facial_hair", "clothing", "shirt_graphic", "nose", "style")
THUMBNAIL_SIZE = 128  # px: sharp at 64 CSS px on 2× screens
THUMBNAIL_EMOTION = "happy"
_VIEWBOX = re.compile(r'viewBox="[^"]*"')


@lru_cache(maxsize=2048)
def _thumbnail(key: tuple, part: str) -> bytes:
    svg = _svg(key, THUMBNAIL_EMOTION, False)
    if part in THUMBNAIL_CROPS:
        x, y, side = THUMBNAIL_CROPS[part]
        svg = _VIEWBOX.sub(f'viewBox="{x} {y} {side} {side}"', svg, count=1)
    return raster.png_bytes(svg, THUMBNAIL_SIZE)


# A shirt graphic shows only on the graphic shirt: its tiles are drawn on it (picking one puts it on, see
# AvatarForm and avatar_form.js), "Your own text" with a sample until the person writes theirs.
GRAPHIC_CLOTHING = pa.ClothingType.GRAPHIC_SHIRT.name
SAMPLE_SHIRT_TEXT = "Hi!"


def render_thumbnail(look: Mapping[str, str], part: str) -> bytes:
    """Small PNG of the avatar, cropped to `part` (one of THUMBNAIL_PARTS): one picture tile of the form."""
    if part not in THUMBNAIL_PARTS:
        raise ValueError(f"no thumbnails for {part!r}")
    if part == "shirt_graphic":
        look = {**look, "clothing": GRAPHIC_CLOTHING, "shirt_text": look.get("shirt_text") or SAMPLE_SHIRT_TEXT}
    return _thumbnail(look_key(look), part)
