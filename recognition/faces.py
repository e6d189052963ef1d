"""Find faces, upright or tilted, and read each one's emotion with our CNN, all faces in one batch.

Detection is YuNet (recognition.detector); the face mesh (recognition.mesh) then places the face's landmarks and
its roll on every face found. Each readable face is cut as FER2013 frames its faces, turned so its eyes are level
(ml.preprocess.fer_framing and levelled_crop): a head tilted 30° is read as if it were upright.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from emotions import EMOTIONS
from ml.calibration import calibrate
from ml.inference import shared_classifier
from ml.preprocess import fer_framing, levelled_crop, preprocess_faces, to_grayscale

from .detector import Detection, detect
from .mesh import Mesh, place_mesh

# Smallest face looked for, as a share of the image's shorter side: a person at a laptop's camera fills a good
# part of its frame, while a group photo's faces are small.
WEBCAM_MIN_FACE = 0.1
PHOTO_MIN_FACE = 0.05
MIN_CLASSIFY_PIXELS = 40  # px in the original image: smaller faces are found but too blurry to read
# A face YuNet found is kept when the face mesh, placed on it, agrees that a face is there (its presence score):
# it turns away the shapes a low detection threshold lets through (bench/detector_tuning.py).
MIN_MESH_PRESENCE = 0.5


def classifier():
    """The process-wide classifier for the configured weights (loaded and warmed once)."""
    return shared_classifier(settings.EMOJIFY_MODEL_PATH, threads=settings.EMOJIFY_TF_THREADS)


@dataclass
class FaceReading:
    box: tuple[int, int, int, int]  # x, y, w, h in the input image
    probabilities: np.ndarray | None  # None when the face is too small to read; calibrated with a baseline
    raw_probabilities: np.ndarray | None = None  # the model's own reading, where it was calibrated
    landmarks: np.ndarray | None = None  # (5, 2): right eye, left eye, nose tip, right and left mouth corner
    roll: float = 0.0  # degrees, the eye line from horizontal, positive when the head leans clockwise on screen

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
        if self.landmarks is not None:
            reading["landmarks"] = [[round(float(x), 1), round(float(y), 1)] for x, y in self.landmarks]
            reading["roll"] = round(float(self.roll), 1)
        return reading


def _by_emotion(probabilities: np.ndarray | None) -> dict[str, float] | None:
    return (
        None if probabilities is None else {emotion: round(float(p), 4) for emotion, p in zip(EMOTIONS, probabilities)}
    )


def is_readable(detection: Detection, scale: float = 1.0) -> bool:
    """Whether a face is big enough to read, in the original image's pixels (`scale`: a ShrunkImage's)."""
    return min(detection.box[2:]) * scale >= MIN_CLASSIFY_PIXELS


def locate_faces(gray: np.ndarray, min_face: float, *, every_face: bool = False) -> list[tuple[Detection, Mesh]]:
    """Each face YuNet finds in a grayscale image that the face mesh confirms, with its mesh, largest first."""
    located = []
    for detection in detect(gray, min_face, every_face=every_face):
        mesh = place_mesh(gray, detection.centre, detection.side)
        if mesh.presence >= MIN_MESH_PRESENCE:
            located.append((detection, mesh))
    return located


def read_faces(
    image: np.ndarray,
    *,
    min_face: float = WEBCAM_MIN_FACE,
    every_face: bool = False,
    baseline: np.ndarray | None = None,
) -> list[FaceReading]:
    """Every face in a BGR or grayscale image with its landmarks, roll and emotion probabilities, largest first.

    With a `baseline` (the person's resting-face reading, ml.calibration) each reading is calibrated to it and the
    model's own reading is kept as `raw_probabilities`. `min_face` is the smallest face looked for, as a share of the
    shorter side: WEBCAM_MIN_FACE for a webcam frame, PHOTO_MIN_FACE for a group photo, which `every_face` searches
    for every face (recognition.detector.detect) where a webcam frame's search stops at the first pass that finds
    one. An image shrunk on decode (its `scale` > 1, recognition.images.ShrunkImage) is answered in the upload's
    pixels: boxes, landmarks and the readable-size limit.
    """
    gray = to_grayscale(np.asarray(image))
    scale = getattr(image, "scale", 1.0)
    located = locate_faces(gray, min_face, every_face=every_face)
    readable = [index for index, (detection, _) in enumerate(located) if is_readable(detection, scale)]
    crops = [levelled_crop(gray, *fer_framing(located[index][1].landmarks)) for index in readable]
    raw = dict(zip(readable, classifier().predict(preprocess_faces(crops))))
    calibrated = dict(zip(readable, calibrate(list(raw.values()), baseline))) if baseline is not None and raw else raw
    return [
        FaceReading(
            tuple(int(round(value * scale)) for value in detection.box),
            calibrated.get(index),
            raw.get(index) if baseline is not None else None,
            mesh.landmarks * scale,
            mesh.roll,
        )
        for index, (detection, mesh) in enumerate(located)
    ]


def warm_up() -> None:
    """Load the models and plan YuNet for a webcam frame's searches (a blank frame goes through every pass), so the
    first real request is as fast as the rest."""
    read_faces(np.full((480, 640), 128, np.uint8))
    place_mesh(np.full((240, 320), 128, np.uint8), (160.0, 120.0), 100.0)
