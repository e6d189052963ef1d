"""The one preprocessing step shared by training, evaluation and the website.

A face crop (any size, grayscale or BGR/BGRA, uint8) becomes a float32 48×48×1 array scaled to [0, 1].
Lighting and contrast are normalised inside the model (``PerImageStandardization``), after training-time
augmentation, so the same input scaling serves every caller.
"""

import cv2
import numpy as np

FACE_SIZE = 48
# FER2013's 48×48 frame around a face, measured in the face's own unit (the mean of its eye distance and its
# eyes-to-mouth distance, the unit whose ratio to the frame varies least between faces): the frame's side, and how
# far its centre sits below the eyes' midpoint. Medians over FER+'s faces (bench/fer_mesh_framing.py).
FRAME_SIDE_UNITS = 2.623
FRAME_CENTRE_BELOW_EYES_UNITS = 0.295


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


def eye_line_roll(landmarks) -> float:
    """The eye line's angle from horizontal in degrees, positive when the head leans clockwise on screen, from
    five landmarks in YuNet's order (the person's right eye first, then the left)."""
    (right_x, right_y), (left_x, left_y) = np.asarray(landmarks, np.float64)[:2]
    return float(np.degrees(np.arctan2(left_y - right_y, left_x - right_x)))


def fer_framing(landmarks) -> tuple[tuple[float, float], float, float]:
    """(centre, side, roll) of the levelled square that frames a face as FER2013 frames its faces, from its five
    landmarks (right eye, left eye, nose tip, right and left mouth corner, in pixels: YuNet's order); `roll` is the
    eye line's angle from horizontal in degrees, clockwise on screen. Cut it with levelled_crop."""
    landmarks = np.asarray(landmarks, np.float64)
    right_eye, left_eye, _, mouth_right, mouth_left = landmarks
    eyes, mouth = (right_eye + left_eye) / 2, (mouth_right + mouth_left) / 2
    roll = eye_line_roll(landmarks)
    unit = (np.linalg.norm(left_eye - right_eye) + np.linalg.norm(mouth - eyes)) / 2
    down = np.array([-np.sin(np.radians(roll)), np.cos(np.radians(roll))])  # the face's own "down", turned with it
    centre = eyes + FRAME_CENTRE_BELOW_EYES_UNITS * unit * down
    return (float(centre[0]), float(centre[1])), float(FRAME_SIDE_UNITS * unit), roll


def _crop_matrix(centre, side: float, roll: float, size: int) -> np.ndarray:
    """The 2×3 affine map from an image's pixels to those of its levelled crop (see levelled_crop)."""
    transform = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(roll), size / side)
    transform[:, 2] += (size / 2 - centre[0], size / 2 - centre[1])
    return transform


def levelled_crop(image: np.ndarray, centre, side: float, roll: float, size: int | None = None) -> np.ndarray:
    """The square of `side` px around `centre` (x, y) in `image`, turned by `roll` degrees counter-clockwise on
    screen so that a head leaning `roll` degrees clockwise comes out with its eyes level; `size` px a side
    (default: `side` rounded, so that preprocess_face shrinks it with INTER_AREA as it does any crop). Edges
    beyond the image are replicated, as a face cut by the frame's edge always was."""
    size = size or max(1, int(round(side)))
    return cv2.warpAffine(
        image,
        _crop_matrix(centre, side, roll, size),
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def points_from_crop(points: np.ndarray, centre, side: float, roll: float, size: int) -> np.ndarray:
    """(n, 2) points in a levelled_crop's pixels → the same points in the image's pixels."""
    back = cv2.invertAffineTransform(_crop_matrix(centre, side, roll, size))
    return np.asarray(points, np.float64) @ back[:, :2].T + back[:, 2]
