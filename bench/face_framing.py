"""Which face the net sees: the served pipeline's readings of the real-photo sets with other framings.

    python bench/face_framing.py portraits-dev realfaces [--scales 0.9,1.0204,1.1,1.2] [--level-eyes]

Each photo is placed in a webcam frame and decoded as bench/real_photos.py does, its largest face found once by
the served detector, then cropped at each scale of the detector's box (1.0204 = 1/0.98 is the served framing)
and, with --level-eyes, also turned about the face's centre so that the two eyes OpenCV's eye cascade finds in
the box's upper half are level. Each crop is read by the served model (mirror TTA). Printed per set and
variant: accuracy, macro recall and, against each person's other neutral photos (leave-one-out, as
real_photos.py), the calibrated accuracy. Photos whose face is not found count as wrong in every variant.
"""

from __future__ import annotations

import argparse
import math

import cv2
import numpy as np
from common import setup_django
from real_photos import photo_folder, primary_face, raw_and_calibrated, read_photos

EYE_CASCADE = cv2.data.haarcascades + "haarcascade_eye.xml"
MAX_TILT_DEGREES = 25  # a steeper pair of "eyes" is an eyebrow or a nostril, not a tilted face


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+", help="portraits-dev, realfaces, or folders of <emotion>/ photos")
    parser.add_argument("--scales", default="0.9,1.0204,1.1,1.2", help="crop sides as multiples of the box's")
    parser.add_argument("--level-eyes", action="store_true", help="also read each scale with the eyes levelled")
    parser.add_argument("--photo-side", type=int, default=288)
    args = parser.parse_args()
    setup_django()
    from ml.preprocess import preprocess_faces
    from recognition import faces

    faces.warm_up()
    eyes = cv2.CascadeClassifier(EYE_CASCADE)
    scales = [float(scale) for scale in args.scales.split(",")]
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
                raw, calibrated, calibrated_count = raw_and_calibrated(photos, readings)
                weakest, weakest_recall = min(raw["recall"].items(), key=lambda item: item[1])
                print(
                    f"  scale {scale:<6} {'eyes levelled' if level else 'as detected  '}  raw {raw['accuracy']:6.1%}"
                    f"  macro {raw['macro_recall']:6.1%}  calibrated {calibrated['accuracy']:6.1%}"
                    f" (macro {calibrated['macro_recall']:6.1%}, n={calibrated_count})"
                    f"  weakest {weakest} {weakest_recall:.0%}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
