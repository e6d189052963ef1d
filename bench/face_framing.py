"""Which face the net sees: the served pipeline's readings of the real-photo sets with other framings.

    python bench/face_framing.py portraits-dev realfaces [--scales 0.9,1,1.1,1.2] [--unlevelled]
        [--filters blur:0.5,sharpen:0.6,equalize]

Each photo is placed in a webcam frame and decoded as bench/real_photos.py does, its largest face found once by
the served pipeline, then cut at each scale of the served framing's side (1 is the served crop: FER2013's framing
from the face's landmarks, ml.preprocess.fer_framing) levelled as served and, with --unlevelled, also as the face
lies in the frame (the crop not turned). With --filters, the served-scale crop is also read after each filter of its
48-pixel face (a Gaussian blur of sigma S, an unsharp mask of amount A, histogram equalisation or CLAHE of clip
limit C), and each set's median sharpness (the variance of the crop's Laplacian) is printed beside FER+'s
training faces'. Each crop is read by the served model (mirror TTA). Printed per set and
variant: accuracy, macro recall and, against each person's other neutral photos (leave-one-out, as
real_photos.py), the calibrated accuracy. Photos whose face is not found count as wrong in every variant.
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np
from common import setup_django
from real_photos import photo_folder, photo_sets_parser, primary_face, raw_and_calibrated, read_photos

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


def main():
    parser = photo_sets_parser(__doc__.splitlines()[0])
    parser.add_argument("--scales", default="0.9,1,1.1,1.2", help="crop sides as multiples of the served crop's")
    parser.add_argument("--unlevelled", action="store_true", help="also read each scale with the crop not turned")
    parser.add_argument("--filters", default="", help="comma-separated filters of the served crop, e.g. blur:0.5")
    parser.add_argument("--training-data", default=None, help="FER+ file whose sharpness is printed (with --filters)")
    args = parser.parse_args()
    setup_django()
    from ml.dataset import DEFAULT_DATA, load_dataset
    from ml.preprocess import levelled_crop, preprocess_faces
    from recognition import faces

    faces.warm_up()
    scales = [float(scale) for scale in args.scales.split(",")]
    try:
        filters = {spec: face_filter(spec) for spec in args.filters.split(",") if spec}
    except (argparse.ArgumentTypeError, ValueError) as error:
        parser.error(f"--filters: {error}")
    if filters:
        training = load_dataset(args.training_data or DEFAULT_DATA).subset("Training").faces[:SHARPNESS_SAMPLE]
        print(f"training faces: median sharpness {sharpness(preprocess_faces(list(training))):.0f}")
    read = lambda crops: list(faces.classifier().predict(preprocess_faces(crops)))
    for name in args.data:
        photos = read_photos(photo_folder(name))
        found = [primary_face(image, args.photo_side) for *_, image in photos]  # PrimaryFace or None
        rolls = [abs(face.framing[2]) for face in found if face is not None]
        print(f"{name}: {len(photos)} photos, face found in {len(rolls)} (median |roll| {np.median(rolls):.1f}°)")
        for level in [True, False] if args.unlevelled else [True]:
            for scale in scales:
                crops = [
                    levelled_crop(gray, centre, side * scale, roll if level else 0.0)
                    for gray, (centre, side, roll), _ in (face for face in found if face is not None)
                ]
                readings = iter(read(crops))
                variant = "levelled  " if level else "unlevelled"
                print(
                    f"  scale {scale:<6} {variant}  "
                    f"{figures(photos, [None if face is None else next(readings) for face in found])}",
                    flush=True,
                )
        if filters:
            served = [levelled_crop(face.gray, *face.framing) for face in found if face is not None]
            crops = preprocess_faces(served)
            print(f"  served crops: median sharpness {sharpness(crops):.0f}")
            for spec, filtered in filters.items():
                readings = iter(read([filtered(face) for face in as_uint8(crops)]))
                print(
                    f"  filter {spec:<12} "
                    f"{figures(photos, [None if face is None else next(readings) for face in found])}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
