"""Emojify a picture: every readable face gets the avatar, wearing that face's emotion, blended over it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from avatars.rendering import SVG_SIDE, render_rgba
from recognition.faces import PHOTO_MIN_FACE, FaceReading, read_faces

# Where the avatar's face sits on its square canvas (python-avatars geometry, in SVG units of SVG_SIDE):
AVATAR_FACE_CENTER = (140.0, 112.0)
AVATAR_FACE_WIDTH = 112.0
FACE_PADDING = 1.25  # the avatar's face drawn this much wider than the detector's box, so hair and ears fit
# An avatar is drawn no wider than this share of the distance to the nearest other face: a gap between neighbours.
NEIGHBOUR_ROOM = 0.9
MIN_TURN_DEGREES = 1.0  # a head this close to upright is drawn upright: turning would only soften the drawing


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


def turned(overlay: np.ndarray, pivot: tuple[float, float], roll: float) -> tuple[np.ndarray, tuple[float, float]]:
    """An RGBA overlay turned `roll` degrees clockwise on screen about `pivot`, on a canvas grown to hold its
    corners, and where `pivot` lies on that canvas."""
    height, width = overlay.shape[:2]
    grown = int(np.ceil(np.hypot(width, height)))
    turn = cv2.getRotationMatrix2D(pivot, -roll, 1.0)
    turn[:, 2] += ((grown - width) / 2, (grown - height) / 2)
    turned_overlay = cv2.warpAffine(
        overlay, turn, (grown, grown), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0)
    )
    return turned_overlay, (pivot[0] + (grown - width) / 2, pivot[1] + (grown - height) / 2)


def reach(overlay: np.ndarray, pivot_x: float) -> float:
    """How far the avatar on an RGBA overlay reaches to either side of `pivot_x` (its hair or shoulders, not the
    empty canvas), whichever side is further."""
    columns = np.flatnonzero(overlay[:, :, 3].max(axis=0) > 0)
    return float(max(pivot_x - columns[0], columns[-1] + 1 - pivot_x)) if len(columns) else 0.0


def place_avatar(image: np.ndarray, look: Mapping[str, str], face: FaceReading, room: float | None = None) -> None:
    """The avatar over `face`, its face the size of the person's, turned as their head is; reaching no further
    than `room` / 2 px to either side of the face's centre (room_beside_neighbours), so that neighbours' avatars
    do not cover each other."""
    x, y, w, h = face.box
    scale = w * FACE_PADDING / AVATAR_FACE_WIDTH  # image pixels per avatar unit
    overlay = np.asarray(render_rgba(look, face.emotion, max(1, int(round(SVG_SIDE * scale)))))
    pivot = (AVATAR_FACE_CENTER[0] * scale, AVATAR_FACE_CENTER[1] * scale)
    if abs(face.roll) >= MIN_TURN_DEGREES:
        overlay, pivot = turned(overlay, pivot, face.roll)
    if room is not None and reach(overlay, pivot[0]) > room / 2:
        # Measured once turned: a turned avatar's shoulders reach further to one side.
        shrink = room / 2 / reach(overlay, pivot[0])
        side = max(1, int(overlay.shape[0] * shrink))
        overlay = cv2.resize(overlay, (side, side), interpolation=cv2.INTER_AREA)
        pivot = (pivot[0] * shrink, pivot[1] * shrink)
    blend(image, overlay, int(round(x + w / 2 - pivot[0])), int(round(y + h / 2 - pivot[1])))


def room_beside_neighbours(faces: list[FaceReading]) -> list[float | None]:
    """For each face, how wide its avatar may be drawn: NEIGHBOUR_ROOM of the distance from its centre to the
    nearest other face's centre (None when alone)."""
    centres = np.array([(x + w / 2, y + h / 2) for x, y, w, h in (face.box for face in faces)], np.float64)
    distances = []
    for index, centre in enumerate(centres):
        others = np.delete(centres, index, axis=0)
        distances.append(NEIGHBOUR_ROOM * float(np.min(np.hypot(*(others - centre).T))) if len(others) else None)
    return distances


def emojify_image(image: np.ndarray, look: Mapping[str, str]) -> EmojifyResult:
    faces = read_faces(image, min_face=PHOTO_MIN_FACE, every_face=True)
    replaced = [face for face in faces if face.emotion is not None]
    output = image.copy()
    # Smallest first, so a large face in front is drawn over a smaller one behind it.
    for face, room in reversed(list(zip(replaced, room_beside_neighbours(replaced)))):
        place_avatar(output, look, face, room)
    return EmojifyResult(output, replaced, [face for face in faces if face.emotion is None])
