"""Where FER2013's 48×48 frame sits around a face's landmarks: the levelled crop the site must cut.

    python bench/fer_mesh_framing.py [DATA] [--rows 3000] [--upscale 4]

Each 48×48 face is upscaled, the face mesh (recognition.mesh) is placed on it as on a face the detector boxed at
the frame's size, and the frame is expressed in the face's own units, turned so the eyes are level: its side and
the offset of its centre from the eyes' midpoint, as multiples of the eye distance and of the eyes-to-mouth
distance. The measure whose ratio to the frame varies least from face to face frames best; ml.preprocess's
FER_FRAMING constants are the medians printed here.
"""

import argparse

import cv2
import numpy as np
from common import ROOT

from ml.dataset import load_dataset
from recognition.mesh import place_mesh

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "ferplus" / "fer2013plus.csv.gz"


def face_units(landmarks: np.ndarray) -> dict:
    """The frame (side 1, centre (0.5, 0.5)) in the levelled face's units, for each candidate unit."""
    right_eye, left_eye, _, mouth_right, mouth_left = landmarks
    eyes, mouth = (right_eye + left_eye) / 2, (mouth_right + mouth_left) / 2
    roll = np.arctan2(*(left_eye - right_eye)[::-1])
    level = np.array([[np.cos(roll), np.sin(roll)], [-np.sin(roll), np.cos(roll)]])  # turns the eye line level
    offset = level @ (np.array([0.5, 0.5]) - eyes)
    units = {
        "eye distance": np.linalg.norm(left_eye - right_eye),
        "eyes to mouth": np.linalg.norm(mouth - eyes),
    }
    units["mean of both"] = (units["eye distance"] + units["eyes to mouth"]) / 2
    return {name: (1 / unit, offset[0] / unit, offset[1] / unit) for name, unit in units.items()} | {
        "roll": np.degrees(roll)
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--upscale", type=int, default=4)
    args = parser.parse_args()
    faces = load_dataset(args.data).faces[: args.rows]
    side = 48 * args.upscale
    measures = []
    for face in faces:
        big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
        mesh = place_mesh(big, (side / 2, side / 2), side * 0.98)  # the box a detector draws on FER's faces
        if mesh.presence >= 0.5:
            measures.append(face_units(mesh.landmarks / side))
    print(f"mesh placed on {len(measures)} of {len(faces)} faces")
    rolls = np.array([measure["roll"] for measure in measures])
    print(
        f"FER2013's own roll: median {np.median(rolls):.1f}°, "
        f"p10 {np.percentile(rolls, 10):.1f}°, p90 {np.percentile(rolls, 90):.1f}°"
    )
    for name in ("eye distance", "eyes to mouth", "mean of both"):
        values = np.array([measure[name] for measure in measures])
        side_per_unit, across, below = np.median(values, axis=0)
        spread = np.median(np.abs(values[:, 0] - side_per_unit)) / side_per_unit
        print(
            f"{name:<14} frame side {side_per_unit:.3f} units (relative spread {spread:.3f}), centre "
            f"{across:+.3f} across and {below:+.3f} below the eyes' midpoint"
        )


if __name__ == "__main__":
    main()
