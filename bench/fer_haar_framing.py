"""Where OpenCV's Haar detector puts its box on FER2013's own faces: the crop framing the site must use.

    python bench/fer_haar_framing.py [DATA] [--rows 3000]

Each 48×48 face is upscaled 4× and padded, the detector runs, and its box is expressed in units of the
original frame. recognition.faces.CROP_SCALE is 1 / (median box width).
"""

import argparse

import cv2
import numpy as np
from common import ROOT

from ml.dataset import load_dataset
from recognition.faces import CASCADE_PATH

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "fer2013" / "fer2013.csv.gz"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--upscale", type=int, default=4)
    args = parser.parse_args()
    faces = load_dataset(args.data).faces[: args.rows]
    cascade = cv2.CascadeClassifier(CASCADE_PATH)
    side = 48 * args.upscale
    boxes = []
    for face in faces:
        big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
        canvas = cv2.copyMakeBorder(big, side, side, side, side, cv2.BORDER_REPLICATE)
        found = cascade.detectMultiScale(canvas, 1.05, 4, minSize=(side // 4, side // 4))
        if len(found):
            x, y, w, h = max(found, key=lambda box: box[2] * box[3])
            boxes.append(((x - side) / side, (y - side) / side, w / side, h / side))
    boxes = np.array(boxes)
    print(f"detected {len(boxes)} of {len(faces)} faces")
    for name, values in zip(("x", "y", "w", "h"), boxes.T):
        print(
            f"{name}: median {np.median(values):.3f}  (p25 {np.percentile(values, 25):.3f}, "
            f"p75 {np.percentile(values, 75):.3f})"
        )
    print(f"crop scale = 1 / median width = {1 / np.median(boxes[:, 2]):.3f}")


if __name__ == "__main__":
    main()
