"""Reading an animated sticker back, as the tests of /api/animation and of Record 3 s do: its frames as Pillow
composes them, and how far the avatar in a frame leans."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image


def frames_of(data: bytes) -> tuple[list[np.ndarray], list[int]]:
    """Every frame as Pillow composes it (RGBA, whole canvas) and its duration in ms."""
    image = Image.open(io.BytesIO(data))
    pictures, durations = [], []
    for index in range(image.n_frames):
        image.seek(index)
        image.load()
        pictures.append(np.asarray(image.convert("RGBA"), np.float32))
        durations.append(image.info["duration"])
    return pictures, durations


def tilt(picture: np.ndarray, skin_color: str) -> float:
    """The avatar's tilt in degrees, clockwise on screen: the orientation of its skin's mass (face and neck,
    taller than wide), from the pixels' second moments. `skin_color` is the avatar's skin as Pillow reads a
    colour (avatars.vocabulary's value for the look's skin_color)."""
    skin = np.asarray(Image.new("RGB", (1, 1), skin_color), np.float32)[0, 0]
    rows, columns = np.nonzero((np.abs(picture[..., :3] - skin).max(axis=2) < 16) & (picture[..., 3] > 250))
    x, y = columns - columns.mean(), rows - rows.mean()
    return math.degrees(0.5 * math.atan2(-2 * np.mean(x * y), np.mean(y * y) - np.mean(x * x)))
