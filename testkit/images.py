"""Test pictures built from real photographs that installed packages ship (never from FER2013), and a video of one
for Chromium's fake camera."""

from __future__ import annotations

from pathlib import Path

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


def grace_hopper_face() -> np.ndarray:
    """matplotlib's sample portrait of Grace Hopper, head and shoulders, 360×360 BGR: a real face the model reads
    neutral (matplotlib comes with the test tools)."""
    from matplotlib import cbook

    portrait = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    return cv2.resize(portrait[0:400, 56:456], (360, 360), interpolation=cv2.INTER_AREA)


def tilted(frame: np.ndarray, degrees: float) -> np.ndarray:
    """The frame turned `degrees` clockwise on screen about its centre (a head leaning towards the picture's
    right side for positive degrees), edges replicated, same size."""
    height, width = frame.shape[:2]
    turn = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), -degrees, 1.0)
    return cv2.warpAffine(frame, turn, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def close_up_group(width: int = 1200, height: int = 450, side: int = 380) -> np.ndarray:
    """Three heads of `side` px side by side, each centred in its own third of the picture: close neighbours."""
    photo = np.full((height, width, 3), (120, 160, 90), np.uint8)
    head = cv2.resize(astronaut_face_crop(), (side, side), interpolation=cv2.INTER_AREA)
    for third in range(3):
        left, top = third * width // 3 + (width // 3 - side) // 2, (height - side) // 2
        photo[top : top + side, left : left + side] = head
    return photo


def neutral_and_happy() -> np.ndarray:
    """A 960×480 photo of two people: Grace Hopper (read neutral) small on the left, the astronaut (read happy) larger
    on the right, so largest-first and left-to-right orders differ."""
    photo = np.full((480, 960, 3), (120, 160, 90), np.uint8)
    photo[140:380, 40:280] = cv2.resize(grace_hopper_face(), (240, 240), interpolation=cv2.INTER_AREA)
    photo[40:440, 480:880] = cv2.resize(astronaut_face_crop(), (400, 400), interpolation=cv2.INTER_CUBIC)
    return photo


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


# Where group_photo puts the astronaut's face: (left, top), side, in a 1280×720 photo.
PLACEMENTS = [((60, 80), 300), ((560, 200), 200), ((950, 330), 150)]


def group_photo() -> np.ndarray:
    photo = np.full((720, 1280, 3), (120, 160, 90), np.uint8)
    for (left, top), side in PLACEMENTS:
        photo[top : top + side, left : left + side] = cv2.resize(astronaut_face_crop(), (side, side))
    return photo


def write_y4m(path: Path, frame_bgr: np.ndarray, frames: int = 20, fps: int = 10) -> Path:
    """`frames` copies of a BGR frame as a .y4m video, which Chromium's fake camera plays in a loop."""
    height, width = frame_bgr.shape[:2]
    planes = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2YUV_I420).tobytes()
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + planes)
    return path
