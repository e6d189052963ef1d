"""Rasterise avatar SVGs with cairosvg, quickly.

cairosvg is slow on two things python-avatars uses all over its drawings: `<mask>` (each one paints a
full-size offscreen surface and composites it) and `<use>` (each one searches the whole document for its
target). Every mask python-avatars draws is one white-filled shape — exactly a clip path — and every
`<use>` points at one plain shape, so :func:`rasterisable` rewrites both before drawing: same picture,
about half the time. The SVG we serve stays as python-avatars wrote it; this copy only feeds the rasteriser.
PNG is encoded without row filters (see :func:`png_bytes`).
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET

import cairocffi
import cv2
import numpy as np
from cairosvg.parser import Tree
from cairosvg.surface import PNGSurface

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
HREF = f"{{{XLINK_NS}}}href"
SHAPES = {f"{{{SVG_NS}}}{tag}" for tag in ("path", "rect", "circle", "ellipse", "polygon", "polyline", "line")}
WHITE = {"white", "#fff", "#ffffff"}
PNG_OPTIONS = [cv2.IMWRITE_PNG_COMPRESSION, 3, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]
REFERENCE = re.compile(r"url\(#([^)]+)\)|^#(.+)$")

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


def _inline_use(use: ET.Element, target: ET.Element) -> ET.Element:
    """The shape a `<use>` draws, as an element in its place.

    The use's attributes are inherited by the shape; the shape's own attributes win, as in SVG.
    """
    shape = ET.Element(
        target.tag,
        {name: value for name, value in use.attrib.items() if name not in (HREF, "x", "y", "width", "height")},
    )
    shape.attrib.update({name: value for name, value in target.attrib.items() if name != "id"})
    if "style" in use.attrib and "style" in target.attrib:
        shape.set("style", f"{use.get('style').rstrip(';')};{target.get('style')}")
    transforms = [
        use.get("transform", ""),
        f"translate({use.get('x', 0)},{use.get('y', 0)})" if use.get("x") or use.get("y") else "",
        target.get("transform", ""),
    ]
    if any(transforms):
        shape.set("transform", " ".join(transform for transform in transforms if transform))
    shape.tail = use.tail
    return shape


def _is_white_shape_mask(mask: ET.Element) -> bool:
    """A mask that lets through exactly the area of its (white, opaque) shapes: a clip path."""
    if any(name in mask.attrib for name in ("maskUnits", "maskContentUnits", "x", "y", "width", "height")):
        return False
    children = list(mask)
    return bool(children) and all(
        child.tag in SHAPES
        and not len(child)
        and (child.get("fill") or mask.get("fill", "")).lower() in WHITE
        and not any(name in child.attrib for name in ("opacity", "fill-opacity", "stroke", "style", "filter"))
        for child in children
    )


def _drop_unreferenced_definitions(root: ET.Element) -> None:
    """Shapes in `<defs>` that nothing points at any more (their uses were inlined): less to parse."""
    referenced = {
        match[1] or match[2]
        for element in root.iter()
        for value in element.attrib.values()
        for match in REFERENCE.finditer(value)
    }
    for defs in root.iter(f"{{{SVG_NS}}}defs"):
        for definition in list(defs):
            if definition.tag in SHAPES and definition.get("id") not in referenced:
                defs.remove(definition)


def rasterisable(svg: str) -> bytes:
    """The same drawing with `<use>` of shapes inlined and white-shape masks turned into clip paths."""
    root = ET.fromstring(svg)
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    for parent in list(root.iter()):
        for index, child in enumerate(parent):
            if child.tag == f"{{{SVG_NS}}}use":
                target = by_id.get(child.get(HREF, "").removeprefix("#"))
                if target is not None and target.tag in SHAPES:
                    parent[index] = _inline_use(child, target)
    clip_ids = set()
    for mask in root.iter(f"{{{SVG_NS}}}mask"):
        if _is_white_shape_mask(mask):
            mask.tag = f"{{{SVG_NS}}}clipPath"
            mask.attrib.pop("fill", None)
            for child in mask:
                child.attrib.pop("fill", None)
            clip_ids.add(mask.get("id"))
    for element in root.iter():
        reference = element.get("mask", "")
        if reference.startswith("url(#") and reference[5:-1] in clip_ids and "clip-path" not in element.attrib:
            del element.attrib["mask"]
            element.set("clip-path", reference)
    _drop_unreferenced_definitions(root)
    return ET.tostring(root, encoding="utf-8")


def rasterise(svg: str, size: int) -> np.ndarray:
    """The SVG drawn at size×size: a BGRA uint8 array with straight (not premultiplied) alpha."""
    canvas = PNGSurface(Tree(bytestring=rasterisable(svg)), None, 96, output_width=size, output_height=size).cairo
    canvas.flush()
    # cairo's ARGB32 pixels are native-endian words with premultiplied colour: B, G, R, A in memory on
    # little-endian machines, A, R, G, B on big-endian ones.
    pixels = np.ndarray(
        (canvas.get_height(), canvas.get_width(), 4),
        np.uint8,
        buffer=canvas.get_data(),
        strides=(canvas.get_stride(), 4, 1),
    )
    if sys.byteorder == "big":
        pixels = pixels[:, :, ::-1]
    return cv2.cvtColor(pixels, cv2.COLOR_mRGBA2RGBA)  # divides colour by alpha; channel order is kept


def text_width(text: str, font_family: str, font_size: float, *, bold: bool, letter_spacing: float = 0) -> float:
    """How wide cairosvg draws one line of text, in user units: the same font face (the first family, as
    cairosvg picks it), size and letter spacing."""
    context = cairocffi.Context(cairocffi.ImageSurface(cairocffi.FORMAT_ARGB32, 1, 1))
    weight = cairocffi.FONT_WEIGHT_BOLD if bold else cairocffi.FONT_WEIGHT_NORMAL
    context.select_font_face(font_family.split(",")[0].strip("\"' "), cairocffi.FONT_SLANT_NORMAL, weight)
    context.set_font_size(font_size)
    return context.text_extents(text)[2] + (len(text) - 1) * letter_spacing


def png_bytes(svg: str, size: int) -> bytes:
    """PNG of the SVG at size×size.

    Without PNG's per-row prediction filters: on flat-colour drawings they only hurt (these files come out
    about a third smaller than cairosvg's own PNGs), and skipping the filter search makes encoding 3× faster.
    """
    ok, data = cv2.imencode(".png", rasterise(svg, size), PNG_OPTIONS)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return data.tobytes()
