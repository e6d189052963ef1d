"""Which face the net sees: the served pipeline's readings of the real-photo sets with other framings.

    python bench/face_framing.py portraits-dev realfaces [--scales 0.9,1.0204,1.1,1.2] [--level-eyes]
        [--filters blur:0.5,sharpen:0.6,equalize]

Each photo is placed in a webcam frame and decoded as bench/real_photos.py does, its largest face found once by
the served detector, then cropped at each scale of the detector's box (1.0204 = 1/0.98 is the served framing)
and, with --level-eyes, also turned about the face's centre so that the two eyes OpenCV's eye cascade finds in
the box's upper half are level. With --filters, the served-scale crop is also read after each filter of its
48-pixel face (a Gaussian blur of sigma S, an unsharp mask of amount A, histogram equalisation or CLAHE of clip
limit C), and each set's median sharpness (the variance of the crop's Laplacian) is printed beside FER+'s
training faces'. Each crop is read by the served model (mirror TTA). Printed per set and
variant: accuracy, macro recall and, against each person's other neutral photos (leave-one-out, as
real_photos.py), the calibrated accuracy. Photos whose face is not found count as wrong in every variant.
"""

from __future__ import annotations

import argparse
import math

import cv2
import numpy as np
from common import setup_django
from real_photos import photo_folder, photo_sets_parser, primary_face, raw_and_calibrated, read_photos

EYE_CASCADE = cv2.data.haarcascades + "haarcascade_eye.xml"
MAX_TILT_DEGREES = 25  # a steeper pair of "eyes" is an eyebrow or a nostril, not a tilted face
SHARPNESS_SAMPLE = 3000  # FER+ training faces whose sharpness is the reference


def face_filter(spec: str):
    """A uint8 48×48 face → the same face filtered, from "blur:SIGMA", "sharpen:AMOUNT", "equalize" or
    "clahe:CLIP"."""
    name, _, value = spec.partition(":")
    if name == "blur":
        sigma = float(value)
        return lambda face: cv2.GaussianBlur(face, (0, 0), sigma)
    if name == "sharpen":
        amount = float(value)
        return lambda face: cv2.addWeighted(face, 1 + amount, cv2.GaussianBlur(face, (0, 0), 1.0), -amount, 0)
    if name == "equalize":
        return cv2.equalizeHist
    if name == "clahe":
        clahe = cv2.createCLAHE(clipLimit=float(value), tileGridSize=(4, 4))
        return clahe.apply
    raise argparse.ArgumentTypeError(f"unknown filter {spec!r}: blur:S, sharpen:A, equalize or clahe:C")


def as_uint8(batch: np.ndarray) -> np.ndarray:
    """Preprocessed faces ((n, 48, 48, 1) in [0, 1]) back as the uint8 48×48 faces they were made from."""
    return np.round(batch[..., 0] * 255).astype(np.uint8)


def sharpness(batch: np.ndarray) -> float:
    """Median variance of the Laplacian over preprocessed faces, on the uint8 scale."""
    return float(np.median([cv2.Laplacian(face, cv2.CV_64F).var() for face in as_uint8(batch)]))


def figures(photos, readings) -> str:
    """Raw and calibrated accuracy and macro recall of one variant's readings, and its weakest class."""
    raw, calibrated, calibrated_count = raw_and_calibrated(photos, readings)
    weakest, weakest_recall = min(raw["recall"].items(), key=lambda item: item[1])
    return (
        f"raw {raw['accuracy']:6.1%}  macro {raw['macro_recall']:6.1%}  calibrated {calibrated['accuracy']:6.1%}"
        f" (macro {calibrated['macro_recall']:6.1%}, n={calibrated_count})  weakest {weakest} {weakest_recall:.0%}"
    )


def eye_tilt(gray: np.ndarray, box, eyes: cv2.CascadeClassifier) -> float | None:
    """The angle (degrees) of the line through the face's two eyes, or None when two plausible eyes are not found."""
    x, y, w, h = box
    upper = gray[y : y + h // 2, x : x + w]
    found = eyes.detectMultiScale(upper, scaleFactor=1.1, minNeighbors=4, minSize=(w // 8, w // 8))
    centres = [(ex + ew / 2, ey + eh / 2) for ex, ey, ew, eh in found]
    left = [centre for centre in centres if centre[0] < w / 2]
    right = [centre for centre in centres if centre[0] >= w / 2]
    if not left or not right:
        return None
    (lx, ly), (rx, ry) = min(left, key=lambda c: abs(c[0] - w * 0.3)), min(right, key=lambda c: abs(c[0] - w * 0.7))
    angle = math.degrees(math.atan2(ry - ly, rx - lx))
    return angle if abs(angle) <= MAX_TILT_DEGREES else None


def levelled(gray: np.ndarray, box, angle: float) -> np.ndarray:
    x, y, w, h = box
    turn = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), angle, 1.0)
    return cv2.warpAffine(
        gray, turn, (gray.shape[1], gray.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def main():
    parser = photo_sets_parser(__doc__.splitlines()[0])
    parser.add_argument("--scales", default="0.9,1.0204,1.1,1.2", help="crop sides as multiples of the box's")
    parser.add_argument("--level-eyes", action="store_true", help="also read each scale with the eyes levelled")
    parser.add_argument("--filters", default="", help="comma-separated filters of the served crop, e.g. blur:0.5")
    parser.add_argument("--training-data", default=None, help="FER+ file whose sharpness is printed (with --filters)")
    args = parser.parse_args()
    setup_django()
    from ml.dataset import DEFAULT_DATA, load_dataset
    from ml.preprocess import preprocess_faces
    from recognition import faces

    faces.warm_up()
    eyes = cv2.CascadeClassifier(EYE_CASCADE)
    scales = [float(scale) for scale in args.scales.split(",")]
    try:
        filters = {spec: face_filter(spec) for spec in args.filters.split(",") if spec}
    except (argparse.ArgumentTypeError, ValueError) as error:
        parser.error(f"--filters: {error}")
    served_scale = faces.CROP_SCALE
    if filters:
        training = load_dataset(args.training_data or DEFAULT_DATA).subset("Training").faces[:SHARPNESS_SAMPLE]
        print(f"training faces: median sharpness {sharpness(preprocess_faces(list(training))):.0f}")
    for name in args.data:
        photos = read_photos(photo_folder(name))
        found = [primary_face(image, args.photo_side) for *_, image in photos]  # (gray, box) or None
        tilts = [None if face is None else eye_tilt(*face, eyes) for face in found]
        print(
            f"{name}: {len(photos)} photos, face found in {sum(f is not None for f in found)}, "
            f"both eyes in {sum(t is not None for t in tilts)} (median |tilt| "
            f"{np.median([abs(t) for t in tilts if t is not None]):.1f}°)"
        )
        for level in [False, True] if args.level_eyes else [False]:
            for scale in scales:
                faces.CROP_SCALE = scale
                readings = []
                for face, tilt in zip(found, tilts):
                    if face is None:
                        readings.append(None)
                        continue
                    gray, box = face
                    if level and tilt is not None:
                        gray = levelled(gray, box, tilt)
                    readings.append(faces.classifier().predict(preprocess_faces([faces.crop_face(gray, box)]))[0])
                variant = "eyes levelled" if level else "as detected  "
                print(f"  scale {scale:<6} {variant}  {figures(photos, readings)}", flush=True)
        if filters:
            faces.CROP_SCALE = served_scale
            crops = preprocess_faces([faces.crop_face(*face) for face in found if face is not None])
            print(f"  served crops: median sharpness {sharpness(crops):.0f}")
            for spec, filtered in filters.items():
                read = iter(faces.classifier().predict(preprocess_faces([filtered(face) for face in as_uint8(crops)])))
                readings = [None if face is None else next(read) for face in found]
                print(f"  filter {spec:<12} {figures(photos, readings)}", flush=True)


if __name__ == "__main__":
    main()
