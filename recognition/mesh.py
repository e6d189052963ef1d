"""Place MediaPipe's Face Mesh (468 points) on a detected face, and from it the face's five landmarks and roll.

The model (`recognition/models/face_landmark.tflite`, Apache-2.0, from the mediapipe 0.10.14 wheel) runs with the
LiteRT runtime the emotion model already uses. It reads a 192×192 RGB crop in [0, 1] (checked by drawing its
points on a real face: tests/test_tilted_faces.py), the face's box enlarged 1.5× and turned so the eyes are level,
as MediaPipe crops it. A face's tilt is not known before the mesh is placed, so the mesh is placed on an upright
crop first, then again on a crop turned by the roll it found, until the roll settles: a tilt of 30° is read
within a few degrees in two passes (bench/detector_tuning.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from ml.preprocess import eye_line_roll, levelled_crop, points_from_crop

MODEL_PATH = Path(__file__).resolve().parent / "models" / "face_landmark.tflite"
INPUT_SIDE = 192
CROP_MARGIN = 1.5  # the crop's side over the face box's, as MediaPipe's face landmark graph crops
MAX_PASSES = 3
SETTLED_DEGREES = 5.0  # a pass that turns the crop less than this leaves the roll as it is
# MediaPipe's canonical face mesh numbering: each eye's corners and lid midpoints, the nose tip, the mouth corners.
RIGHT_EYE = (33, 133, 159, 145)  # the person's right eye: on the picture's left in an upright, unmirrored picture
LEFT_EYE = (263, 362, 386, 374)
NOSE_TIP = 1
MOUTH_RIGHT, MOUTH_LEFT = 61, 291

_local = threading.local()


@dataclass(frozen=True)
class Mesh:
    points: np.ndarray  # (468, 2) in the image's pixels
    presence: float  # the model's face-presence probability

    @cached_property
    def landmarks(self) -> np.ndarray:
        """(5, 2): right eye, left eye, nose tip, right and left mouth corner (YuNet's order), image pixels."""
        return np.stack(
            [
                self.points[list(RIGHT_EYE)].mean(axis=0),
                self.points[list(LEFT_EYE)].mean(axis=0),
                self.points[NOSE_TIP],
                self.points[MOUTH_RIGHT],
                self.points[MOUTH_LEFT],
            ]
        )

    @cached_property
    def roll(self) -> float:
        """The eye line's angle from horizontal, degrees, positive when the head leans towards the picture's
        right side (clockwise on screen)."""
        return eye_line_roll(self.landmarks)


class _Interpreter:
    def __init__(self):
        from ai_edge_litert.interpreter import Interpreter

        if not MODEL_PATH.is_file():
            raise RuntimeError(f"face mesh model missing: {MODEL_PATH}")
        self.interpreter = Interpreter(model_path=str(MODEL_PATH), num_threads=1)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        outputs = {int(np.prod(detail["shape"])): detail["index"] for detail in self.interpreter.get_output_details()}
        self.points, self.presence = outputs[468 * 3], outputs[1]

    def __call__(self, crop_rgb: np.ndarray) -> tuple[np.ndarray, float]:
        self.interpreter.set_tensor(self.input, (crop_rgb.astype(np.float32) / 255.0)[np.newaxis])
        self.interpreter.invoke()
        points = self.interpreter.get_tensor(self.points).reshape(468, 3)[:, :2]
        logit = float(self.interpreter.get_tensor(self.presence).reshape(()))
        return points, float(1 / (1 + np.exp(-np.clip(logit, -50, 50))))


def _interpreter() -> _Interpreter:
    # An interpreter's tensors are its own state: one per thread.
    if not hasattr(_local, "interpreter"):
        _local.interpreter = _Interpreter()
    return _local.interpreter


def place_mesh(image: np.ndarray, centre, side: float) -> Mesh:
    """The face mesh on the face of box side `side` px around `centre` in a grayscale or RGB image."""
    interpreter = _interpreter()
    roll, crop_side = 0.0, side * CROP_MARGIN
    for _ in range(MAX_PASSES):
        crop = levelled_crop(image, centre, crop_side, roll, INPUT_SIDE)
        rgb = cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB) if crop.ndim == 2 else crop
        points, presence = interpreter(rgb)
        mesh = Mesh(points_from_crop(points, centre, crop_side, roll, INPUT_SIDE), presence)
        turn, roll = mesh.roll - roll, mesh.roll
        centre = tuple(mesh.points.mean(axis=0))
        if abs(turn) < SETTLED_DEGREES:
            break
    return mesh
