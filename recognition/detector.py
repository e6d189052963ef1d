"""Find faces with YuNet (OpenCV's own CNN face detector, `cv2.FaceDetectorYN`), upright or tilted.

YuNet replaced OpenCV's Haar cascade, which only knows upright faces: a head tilted 30° inside a webcam frame
was found 8% of the time (issue 48). Its model file ships in `recognition/models/` with its MIT licence; nothing
is downloaded. Its five landmarks are not used: on a tilted face they stay where an upright face's would be
(the face mesh, recognition.mesh, places the points), so only its boxes and scores are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "models" / "face_detection_yunet_2023mar.onnx"
# A candidate face needs this score, and then the face mesh's presence score (recognition.faces): YuNet scores a
# tilted face lower than an upright one, and the mesh turns away what YuNet let through. Tuned with
# bench/detector_tuning.py on the real photo sets upright and tilted, and on pictures without faces: its figures
# are in docs/benchmarks.md.
SCORE_THRESHOLD = 0.5
NMS_THRESHOLD = 0.3  # boxes overlapping more than this (intersection over union) are one face
TOP_K = 5000  # candidates kept before non-maximum suppression (OpenCV Zoo's default)
# OpenCV plans YuNet's network for each input size it is given: about 26 ms the first time, and tens of MB held for a
# photo-sized input. So detectors are kept per input size, shared by the process's threads (one search at a time
# each), the most recently used few; and a photo is searched on one of a few fixed canvases (the photo shrunk to fit,
# the rest black), so photos of every size reuse the same plans.
DETECTORS_KEPT = 8
PHOTO_CANVAS = (960, 544)  # landscape; a portrait photo's is turned, a turned search's is half as big
# The image is shrunk until the smallest face looked for spans this many pixels: YuNet's time grows with the
# pixels it is given, and it finds an upright face of this size, a tilted one less often.
SMALLEST_FACE_PX = 24
# A webcam frame is searched coarse to fine: first for a face of at least this share of the shorter side (a person
# within a metre of a laptop's camera) at a sixth of the pixels, and only when none is found down to the smallest.
WEBCAM_FIRST_PASS_FACE = 0.25
# YuNet misses many heads tilted 30° or more: where the upright search finds nothing (a webcam frame), or always
# (a photo, where every face counts), the picture is searched again turned by each of these angles, for faces of at
# least TURNED_MIN_FACE of the shorter side: turning and searching a whole photo at the resolution its smallest
# faces need would cost several times the upright pass (bench/emojify_speed.py).
TILTS = (30.0, -30.0)
TURNED_MIN_FACE = 0.1

_detectors: OrderedDict[tuple[int, int], tuple[cv2.FaceDetectorYN, threading.Lock]] = OrderedDict()
_detectors_lock = threading.Lock()


@dataclass(frozen=True)
class Detection:
    box: tuple[int, int, int, int]  # x, y, w, h in the input image's pixels, clipped to the image
    centre: tuple[float, float]  # the box's centre before clipping: a face cut by the frame's edge stays whole
    side: float  # the longer side of the box before clipping
    score: float


def _detector(size: tuple[int, int]) -> tuple[cv2.FaceDetectorYN, threading.Lock]:
    """The process's detector for inputs of `size` and the lock to hold while using it (see DETECTORS_KEPT)."""
    with _detectors_lock:
        if size not in _detectors:
            if not MODEL_PATH.is_file():
                raise RuntimeError(f"YuNet model missing: {MODEL_PATH}")
            detector = cv2.FaceDetectorYN.create(str(MODEL_PATH), "", size, SCORE_THRESHOLD, NMS_THRESHOLD, TOP_K)
            _detectors[size] = (detector, threading.Lock())
            while len(_detectors) > DETECTORS_KEPT:
                _detectors.popitem(last=False)
        _detectors.move_to_end(size)
        return _detectors[size]


def forget_detectors() -> None:
    """Drop the kept detectors (after changing SCORE_THRESHOLD, which each is made with)."""
    with _detectors_lock:
        _detectors.clear()


def _search(
    gray: np.ndarray, min_face: float, tilt: float = 0.0, canvas: tuple[int, int] | None = None
) -> list[Detection]:
    """One YuNet pass over `gray` turned by `tilt` degrees (clockwise on screen); the boxes in `gray`'s own pixels,
    upright. The picture is shrunk so that a face of `min_face` of the shorter side spans SMALLEST_FACE_PX, or, with
    a `canvas` (width, height), to fit inside it, the rest of the canvas black."""
    height, width = gray.shape[:2]
    if canvas:
        scale = min(1.0, canvas[0] / width, canvas[1] / height)
    else:
        scale = min(1.0, SMALLEST_FACE_PX / max(min_face * min(height, width), 1))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if canvas:
        size = (min(size[0], canvas[0]), min(size[1], canvas[1]))
    centre = ((size[0] - 1) / 2, (size[1] - 1) / 2)
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    # Turning the picture by -tilt makes a head leaning `tilt` degrees upright for YuNet.
    turn = cv2.getRotationMatrix2D(centre, tilt, 1.0)
    if tilt:
        small = cv2.warpAffine(small, turn, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    back = cv2.invertAffineTransform(turn)
    if canvas:
        small = cv2.copyMakeBorder(small, 0, canvas[1] - size[1], 0, canvas[0] - size[0], cv2.BORDER_CONSTANT, value=0)
    bgr = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR) if small.ndim == 2 else small
    detector, in_use = _detector((bgr.shape[1], bgr.shape[0]))
    with in_use:
        _, found = detector.detect(bgr)
    detections = []
    for row in [] if found is None else found:
        x, y, w, h = (float(value) for value in row[:4])
        centre_x, centre_y = (back[:, :2] @ (x + w / 2, y + h / 2) + back[:, 2]) / scale
        side = max(w, h) / scale
        if side < min_face * min(height, width):
            continue
        # The box of the upright face as the picture holds it, inside the picture (a face cut by the frame's edge).
        half = side / 2
        left, top = max(0.0, centre_x - half), max(0.0, centre_y - half)
        right, bottom = min(float(width), centre_x + half), min(float(height), centre_y + half)
        if right - left < 1 or bottom - top < 1:
            continue
        box = (round(left), round(top), round(right - left), round(bottom - top))
        detections.append(Detection(box, (float(centre_x), float(centre_y)), side, float(row[-1])))
    return detections


def detect(gray: np.ndarray, min_face: float, *, every_face: bool = False) -> list[Detection]:
    """Faces of at least `min_face` of the shorter side in a grayscale (or BGR) image, largest first.

    A webcam frame (the default) is searched coarse to fine, then turned, each pass only when the one before found
    nothing; `every_face` (a photo) searches every pass and keeps each face once."""
    if every_face:
        landscape = gray.shape[1] >= gray.shape[0]
        canvas = PHOTO_CANVAS if landscape else PHOTO_CANVAS[::-1]
        half = (canvas[0] // 2, canvas[1] // 2)
        passes = [(min_face, 0.0, canvas)] + [(max(min_face, TURNED_MIN_FACE), tilt, half) for tilt in TILTS]
    else:
        passes = [(first, 0.0, None) for first in (WEBCAM_FIRST_PASS_FACE, min_face) if first >= min_face]
        passes += [(max(min_face, TURNED_MIN_FACE), tilt, None) for tilt in TILTS]
    found: list[Detection] = []
    for face_share, tilt, canvas_size in passes:
        if found and not every_face:
            break
        found += [
            face
            for face in _search(gray, face_share, tilt, canvas_size)
            if not any(_same_face(face, kept) for kept in found)
        ]
    return sorted(found, key=lambda detection: detection.side, reverse=True)


def _same_face(a: Detection, b: Detection) -> bool:
    """Whether two detections' centres lie within half the smaller one's side of each other."""
    distance = np.hypot(a.centre[0] - b.centre[0], a.centre[1] - b.centre[1])
    return distance < min(a.side, b.side) / 2
