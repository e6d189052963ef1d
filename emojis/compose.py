"""Emojify a picture: every readable face gets the avatar, wearing that face's emotion, blended over it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from avatars.rendering import SVG_SIDE, render_rgba
from recognition.faces import PHOTO_MIN_FACE, FaceReading, read_faces

# Where the avatar's face sits on its square canvas (python-avatars geometry, in SVG units of SVG_SIDE):
AVATAR_FACE_CENTER = (140.0, 112.0)
AVATAR_FACE_WIDTH = 112.0
FACE_PADDING = 1.25  # the avatar's face drawn this much wider than the detector's box, so hair and ears fit


@dataclass
class EmojifyResult:
    image: np.ndarray  # BGR, same size as the input
    replaced: list[FaceReading]  # largest first
    too_small: list[FaceReading]

    @property
    def emotions(self) -> list[str]:
        return [face.emotion for face in self.replaced]


def blend(image: np.ndarray, overlay_rgba: np.ndarray, left: int, top: int) -> None:
    """Alpha-blend an RGBA overlay onto a BGR image in place, clipped at the image edges."""
    height, width = image.shape[:2]
    size_y, size_x = overlay_rgba.shape[:2]
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + size_x, width), min(top + size_y, height)
    if x0 >= x1 or y0 >= y1:
        return
    patch = overlay_rgba[y0 - top : y1 - top, x0 - left : x1 - left].astype(np.float32)
    alpha = patch[:, :, 3:4] / 255.0
    region = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = (patch[:, :, 2::-1] * alpha + region * (1 - alpha) + 0.5).astype(np.uint8)


def place_avatar(image: np.ndarray, look: Mapping[str, str], face: FaceReading) -> None:
    x, y, w, h = face.box
    scale = w * FACE_PADDING / AVATAR_FACE_WIDTH  # image pixels per avatar unit
    side = max(1, int(round(SVG_SIDE * scale)))
    overlay = np.asarray(render_rgba(look, face.emotion, side))
    left = int(round(x + w / 2 - AVATAR_FACE_CENTER[0] * scale))
    top = int(round(y + h / 2 - AVATAR_FACE_CENTER[1] * scale))
    blend(image, overlay, left, top)


def emojify_image(image: np.ndarray, look: Mapping[str, str]) -> EmojifyResult:
    faces = read_faces(image, min_face=PHOTO_MIN_FACE, every_face=True)
    replaced = [face for face in faces if face.emotion is not None]
    output = image.copy()
    # Smallest first, so a large face in front is drawn over a smaller one behind it.
    for face in reversed(replaced):
        place_avatar(output, look, face)
    return EmojifyResult(output, replaced, [face for face in faces if face.emotion is None])
