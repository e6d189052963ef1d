"""Test pictures built from real photographs that installed packages ship (never from FER2013)."""

from __future__ import annotations

import cv2
import numpy as np
import skimage.data
from PIL import Image


def astronaut_bgr() -> np.ndarray:
    """skimage's astronaut (Eileen Collins), a real smiling face, 512×512 BGR."""
    return np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])


def astronaut_face_crop() -> np.ndarray:
    """Head and shoulders only (the flag and the helmet cut away), 240×240 BGR."""
    return np.ascontiguousarray(astronaut_bgr()[20:260, 110:350])


def webcam_frame(width: int = 640, height: int = 480) -> np.ndarray:
    """A webcam-like frame: the astronaut's head centred on a plain wall."""
    frame = np.full((height, width, 3), (170, 180, 185), np.uint8)
    face = cv2.resize(astronaut_face_crop(), (height * 3 // 4, height * 3 // 4))
    top, left = (height - face.shape[0]) // 2, (width - face.shape[1]) // 2
    frame[top : top + face.shape[0], left : left + face.shape[1]] = face
    return frame


def side_by_side() -> np.ndarray:
    face = astronaut_face_crop()
    gap = np.full((face.shape[0], 80, 3), 200, np.uint8)
    return np.hstack([face, gap, face])


def noise(width: int = 640, height: int = 480, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def encode(image: np.ndarray, extension: str = ".jpg") -> bytes:
    ok, data = cv2.imencode(extension, image)
    assert ok
    return data.tobytes()


def big_picture(width: int = 7999, height: int = 5000) -> Image.Image:
    """A photo-sized RGB picture: a plain wall with the astronaut's head, 40% of its height, right of centre."""
    canvas = Image.new("RGB", (width, height), (185, 180, 170))
    side = height * 2 // 5
    face = Image.fromarray(astronaut_face_crop()[:, :, ::-1]).resize((side, side))
    canvas.paste(face, (width * 3 // 8, height * 3 // 10))
    return canvas
