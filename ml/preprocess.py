"""The one preprocessing step shared by training, evaluation and the website.

A face crop (any size, grayscale or BGR/BGRA, uint8) becomes a float32 48×48×1 array scaled to [0, 1].
Lighting and contrast are normalised inside the model (``PerImageStandardization``), after training-time
augmentation, so the same input scaling serves every caller.
"""

import cv2
import numpy as np

FACE_SIZE = 48


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """uint8 grayscale from a grayscale, BGR or BGRA image."""
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"expected a grayscale, BGR or BGRA image, got shape {image.shape}")


def preprocess_face(face: np.ndarray) -> np.ndarray:
    """One face crop → float32 array of shape (48, 48, 1) in [0, 1]."""
    gray = to_grayscale(np.asarray(face))
    if gray.dtype != np.uint8:
        gray = np.clip(gray, 0, 255).astype(np.uint8)
    if gray.shape != (FACE_SIZE, FACE_SIZE):
        # INTER_AREA when shrinking avoids aliasing; webcam crops are almost always larger than 48 px.
        interpolation = cv2.INTER_AREA if min(gray.shape) >= FACE_SIZE else cv2.INTER_LINEAR
        gray = cv2.resize(gray, (FACE_SIZE, FACE_SIZE), interpolation=interpolation)
    return (gray.astype(np.float32) / 255.0)[:, :, np.newaxis]


def preprocess_faces(faces) -> np.ndarray:
    """A sequence of face crops → float32 batch of shape (n, 48, 48, 1)."""
    if len(faces) == 0:
        return np.zeros((0, FACE_SIZE, FACE_SIZE, 1), np.float32)
    return np.stack([preprocess_face(face) for face in faces])
