"""The Haar detector's scale step, neighbour count and webcam first pass, judged end to end: faces found,
emotions read right, false faces, and time.

    python bench/detector_tuning.py [DATA] [--rows 3589] [--settings 1.1:5 1.15:3:0.2 1.15:3 1.2:3]

Faces: FER2013 PublicTest rows, each upscaled to 160 px and centred in a 640×480 frame with its edges
replicated (the size of a face in a webcam frame), read by the served pipeline (recognition.faces.read_faces:
coarse-to-fine detection, FER framing, the shipped model with mirror TTA). False faces: scikit-image's
sample pictures that show no human face, as they are and at 640×480, searched as webcam frames and as photos.
"""

import argparse
import statistics
import time

import cv2
import numpy as np
from common import ROOT, setup_django

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "fer2013" / "fer2013.csv.gz"
NO_FACE_PICTURES = (
    "coffee",
    "chelsea",
    "rocket",
    "coins",
    "page",
    "text",
    "horse",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "retina",
    "brick",
    "grass",
    "gravel",
    "colorwheel",
    "logo",
    "cat",
)  # all shipped with scikit-image: nothing is downloaded
FACE_SIDE, FRAME = 160, (640, 480)


def fer_frames(data: str, rows: int):
    from ml.dataset import load_dataset

    public_test = load_dataset(data).subset("PublicTest")
    pad_x, pad_y = (FRAME[0] - FACE_SIDE) // 2, (FRAME[1] - FACE_SIDE) // 2
    for face, label in zip(public_test.faces[:rows], public_test.labels[:rows]):
        big = cv2.resize(face, (FACE_SIDE, FACE_SIDE), interpolation=cv2.INTER_CUBIC)
        yield cv2.copyMakeBorder(big, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REPLICATE), int(label)


def no_face_pictures():
    import skimage.data

    for name in NO_FACE_PICTURES:
        picture = np.asarray(getattr(skimage.data, name)())
        if picture.dtype == bool:
            picture = picture.astype(np.uint8) * 255
        elif picture.dtype != np.uint8:
            picture = cv2.normalize(picture.astype(np.float32), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
        if picture.ndim == 3:
            picture = cv2.cvtColor(picture[:, :, :3], cv2.COLOR_RGB2GRAY)
        yield picture
        yield cv2.resize(picture, FRAME, interpolation=cv2.INTER_AREA)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--rows", type=int, default=3589)
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["1.1:5", "1.15:4", "1.15:3:0.2", "1.15:3", "1.2:3"],
        help="scale factor:min neighbours[:webcam first pass, default the served one]",
    )
    args = parser.parse_args()
    setup_django()
    from ml.labels import EMOTIONS
    from recognition import faces

    faces.warm_up()
    frames = list(fer_frames(args.data, args.rows))
    pictures = list(no_face_pictures())
    served = (faces.SCALE_FACTOR, faces.MIN_NEIGHBOURS, faces.WEBCAM_FIRST_PASS_FACE)
    print(
        f"{len(frames)} FER faces in 640×480 frames; {len(pictures)} pictures without a face; "
        f"served setting {':'.join(map(str, served))}"
    )
    for setting in args.settings:
        scale_factor, neighbours, first_pass = (setting.split(":") + [served[2]])[:3]
        faces.SCALE_FACTOR, faces.MIN_NEIGHBOURS = float(scale_factor), int(neighbours)
        faces.WEBCAM_FIRST_PASS_FACE = float(first_pass)
        found = right = 0
        timings = []
        for frame, label in frames:
            started = time.perf_counter()
            readable = [
                face for face in faces.read_faces(frame, first_pass=faces.WEBCAM_FIRST_PASS_FACE) if face.emotion
            ]
            timings.append((time.perf_counter() - started) * 1000)
            if readable:
                found += 1
                right += readable[0].emotion == EMOTIONS[label]
        false_faces = sum(
            len(faces.detect_faces(picture, min_face))
            for picture in pictures
            for min_face in (faces.WEBCAM_MIN_FACE, faces.PHOTO_MIN_FACE)
        )
        print(
            f"{setting:>7}: found {found / len(frames):.1%}, read right {right / max(found, 1):.1%} of found "
            f"({right / len(frames):.1%} of all), false faces {false_faces}, "
            f"median read_faces {statistics.median(timings):.2f} ms"
        )
    faces.SCALE_FACTOR, faces.MIN_NEIGHBOURS, faces.WEBCAM_FIRST_PASS_FACE = served


if __name__ == "__main__":
    main()
