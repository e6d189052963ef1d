"""Find faces with OpenCV's Haar cascade and read each one's emotion with our CNN, all faces in one batch.

Framing: on FER2013's own faces the Haar detector's box covers 98% of the 48×48 frame, centred
(median over 2,513 detections; reproduce with ``python bench/fer_haar_framing.py``). So a face is cropped
as a square centred on the detector's box, 1/0.98 of its size: the framing the model was trained on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np
from django.conf import settings

from emotions import EMOTIONS
from ml.calibration import calibrate
from ml.inference import shared_classifier
from ml.preprocess import preprocess_faces, to_grayscale

CASCADE_PATH = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
CROP_SCALE = 1 / 0.98
CASCADE_WINDOW = 24  # px: the smallest face the cascade can see
# Smallest face looked for, as a share of the image's shorter side. The image is shrunk so that such a
# face just fills the cascade's window: detection time falls with the square of that scale, so a webcam
# frame (face near the camera) is searched small, a group photo large.
WEBCAM_MIN_FACE = 0.1
PHOTO_MIN_FACE = 0.05
# Webcam frames are searched coarse-to-fine: first for faces of at least this share — a person within
# about a metre of a laptop camera, whose face spans 25–50% of the frame's height — in a sixth of the
# time, and only when none is there down to WEBCAM_MIN_FACE: about as many faces found as with a 20% first pass,
# in about half the detection time (bench/detector_tuning.py; its figures: docs/benchmarks.md).
WEBCAM_FIRST_PASS_FACE = 0.25
# A photo (every face counts) is searched band by band, each size of face at the resolution the webcam path
# searches it: faces of at least WEBCAM_FIRST_PASS_FACE of the shorter side, then down to WEBCAM_MIN_FACE,
# then down to PHOTO_MIN_FACE, each pass only up to BAND_OVERLAP times the band above's smallest face. Big faces
# searched at the fine resolution small ones need were a second "face" on skimage's astronaut's shoulder (at
# 640–1080 px wide) where the webcam path, and so "Generate from photo", found one.
PHOTO_BANDS = (WEBCAM_FIRST_PASS_FACE, WEBCAM_MIN_FACE, PHOTO_MIN_FACE)
BAND_OVERLAP = 1.25
SCALE_FACTOR = 1.15  # the cascade's step between window sizes (see bench/detector_tuning.py)
MIN_NEIGHBOURS = 3  # overlapping hits needed to call it a face
MIN_CLASSIFY_PIXELS = 40  # px in the original image: smaller faces are found but too blurry to read

_local = threading.local()


def _cascade() -> cv2.CascadeClassifier:
    # CascadeClassifier keeps per-call scratch buffers: one instance per thread.
    if not hasattr(_local, "cascade"):
        _local.cascade = cv2.CascadeClassifier(CASCADE_PATH)
        if _local.cascade.empty():
            raise RuntimeError(f"Haar cascade missing from the OpenCV wheel: {CASCADE_PATH}")
    return _local.cascade


def classifier():
    """The process-wide classifier for the configured weights (loaded and warmed once)."""
    return shared_classifier(settings.EMOJIFY_MODEL_PATH, threads=settings.EMOJIFY_TF_THREADS)


@dataclass
class FaceReading:
    box: tuple[int, int, int, int]  # x, y, w, h in the input image
    probabilities: np.ndarray | None  # None when the face is too small to read; calibrated with a baseline
    raw_probabilities: np.ndarray | None = None  # the model's own reading, where it was calibrated

    @property
    def emotion(self) -> str | None:
        return None if self.probabilities is None else EMOTIONS[int(np.argmax(self.probabilities))]

    @property
    def confidence(self) -> float | None:
        return None if self.probabilities is None else float(np.max(self.probabilities))

    def as_json(self) -> dict:
        reading = {
            "box": [int(value) for value in self.box],
            "emotion": self.emotion,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "probabilities": _by_emotion(self.probabilities),
        }
        if self.raw_probabilities is not None:
            reading["raw_probabilities"] = _by_emotion(self.raw_probabilities)
        return reading


def _by_emotion(probabilities: np.ndarray | None) -> dict[str, float] | None:
    return (
        None if probabilities is None else {emotion: round(float(p), 4) for emotion, p in zip(EMOTIONS, probabilities)}
    )


def detect_faces(
    gray: np.ndarray, min_face: float = WEBCAM_MIN_FACE, first_pass: float | None = None, max_face: float | None = None
) -> list[tuple[int, int, int, int]]:
    """Face boxes (x, y, w, h) in `gray`'s coordinates, largest first; `max_face`, where given, is the largest
    face looked for, as a share of the shorter side."""
    if first_pass and first_pass > min_face:
        return detect_faces(gray, first_pass) or detect_faces(gray, min_face)
    height, width = gray.shape
    scale = min(1.0, CASCADE_WINDOW / max(min_face * min(height, width), 1))
    small = (
        cv2.resize(gray, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
        if scale < 1
        else gray
    )
    largest = (0, 0) if max_face is None else (max(CASCADE_WINDOW, round(max_face * min(height, width) * scale)),) * 2
    found = _cascade().detectMultiScale(
        small,
        scaleFactor=SCALE_FACTOR,
        minNeighbors=MIN_NEIGHBOURS,
        minSize=(CASCADE_WINDOW, CASCADE_WINDOW),
        maxSize=largest,
    )
    boxes = [tuple(int(round(value / scale)) for value in box) for box in found]
    return sorted(boxes, key=lambda box: box[2] * box[3], reverse=True)


def detect_every_face(gray: np.ndarray, min_face: float = PHOTO_MIN_FACE) -> list[tuple[int, int, int, int]]:
    """Every face down to `min_face` of the shorter side, each size band at its own resolution (PHOTO_BANDS),
    largest first; a face found again in a finer band is kept once, as the coarser band found it."""
    boxes, largest = [], None
    for band in sorted({band for band in PHOTO_BANDS if band > min_face} | {min_face}, reverse=True):
        boxes += [
            box for box in detect_faces(gray, band, max_face=largest) if not any(_overlap(box, kept) for kept in boxes)
        ]
        largest = band * BAND_OVERLAP
    return sorted(boxes, key=lambda box: box[2] * box[3], reverse=True)


def _overlap(a, b) -> bool:
    """Whether either box's centre lies inside the other."""

    def inside(box, other):
        x, y = box[0] + box[2] / 2, box[1] + box[3] / 2
        return other[0] <= x <= other[0] + other[2] and other[1] <= y <= other[1] + other[3]

    return inside(a, b) or inside(b, a)


def crop_face(gray: np.ndarray, box) -> np.ndarray:
    """The square around a detector box with FER2013's framing; edges beyond the image are replicated."""
    x, y, w, h = box
    side = max(w, h) * CROP_SCALE
    left, top = int(round(x + w / 2 - side / 2)), int(round(y + h / 2 - side / 2))
    side = int(round(side))
    height, width = gray.shape
    pad = max(0, -left, -top, left + side - width, top + side - height)
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        left, top = left + pad, top + pad
    return gray[top : top + side, left : left + side]


def read_faces(
    image: np.ndarray,
    *,
    min_face: float = WEBCAM_MIN_FACE,
    first_pass: float | None = WEBCAM_FIRST_PASS_FACE,
    every_face: bool = False,
    baseline: np.ndarray | None = None,
) -> list[FaceReading]:
    """Every face in a BGR or grayscale image with its emotion probabilities, largest face first.

    With a `baseline` (the person's resting-face reading, ml.calibration) each reading is calibrated to it and the
    model's own reading is kept as `raw_probabilities`. `every_face` searches a photo for every face down to `min_face`
    (detect_every_face) instead of the webcam's largest faces first. An image shrunk on decode (its `scale` > 1,
    recognition.images.ShrunkImage) is answered in the upload's pixels: boxes and the readable-size limit.
    """
    gray = to_grayscale(image)
    scale = getattr(image, "scale", 1.0)
    boxes = detect_every_face(gray, min_face) if every_face else detect_faces(gray, min_face, first_pass)
    readable = [box for box in boxes if min(box[2], box[3]) * scale >= MIN_CLASSIFY_PIXELS]
    raw = classifier().predict(preprocess_faces([crop_face(gray, box) for box in readable]))
    by_box = dict(zip(readable, raw))
    calibrated = dict(zip(readable, calibrate(raw, baseline))) if baseline is not None else by_box
    return [
        FaceReading(
            tuple(int(round(value * scale)) for value in box),
            calibrated.get(box),
            by_box.get(box) if baseline is not None else None,
        )
        for box in boxes
    ]


def warm_up() -> None:
    """Load the model and run detection once, so the first real request is as fast as the rest."""
    read_faces(np.full((240, 320, 3), 128, np.uint8))
