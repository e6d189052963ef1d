"""YuNet's score threshold and input size, judged end to end: faces found upright and tilted, false faces, time.

    python bench/detector_tuning.py [portraits-dev realfaces] [--tilts 0,20,30] [--settings 0.5:24 0.7:24 0.5:20]

Faces: each real photo placed in a 640×480 webcam frame as bench/real_photos.py places it, turned by each tilt,
JPEG-encoded and read by the served pipeline (recognition.faces.read_faces: YuNet coarse to fine then turned, the
face mesh, the levelled crop, the shipped model). Found: a readable face was read. False faces: scikit-image's
sample pictures that show no human face, as they are and at 640×480, searched as webcam frames and as photos
(every face). Each setting is a score threshold and the pixels the smallest face looked for spans in YuNet's input.
"""

import argparse
import statistics
import time

import cv2
import numpy as np
from common import setup_django
from real_photos import photo_folder, read_photos, webcam_frame

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
FRAME = (640, 480)


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
    parser.add_argument("data", nargs="*", default=["portraits-dev"], help="portraits-dev, realfaces or folders")
    parser.add_argument("--tilts", default="0,20,30", help="degrees each frame is turned, comma-separated")
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["0.5:24", "0.7:24", "0.5:20", "0.3:24"],
        help="score threshold:smallest face's pixels in YuNet's input",
    )
    args = parser.parse_args()
    setup_django()
    from recognition import detector, faces
    from recognition.images import decode_for_reading

    faces.warm_up()
    tilts = [float(tilt) for tilt in args.tilts.split(",")]
    sets = {name: [image for *_, image in read_photos(photo_folder(name))] for name in args.data}
    frames = {
        (name, tilt): [decode_for_reading(webcam_frame(image, 288, tilt)) for image in photos]
        for name, photos in sets.items()
        for tilt in tilts
    }
    pictures = list(no_face_pictures())
    served = (detector.SCORE_THRESHOLD, detector.SMALLEST_FACE_PX)
    print(f"served setting {served[0]}:{served[1]}; {len(pictures)} pictures without a face")
    for setting in args.settings:
        threshold, smallest = setting.split(":")
        detector.SCORE_THRESHOLD, detector.SMALLEST_FACE_PX = float(threshold), int(smallest)
        detector.forget_detectors()  # the kept detectors hold the old threshold
        timings, found = [], {}
        for key, batch in frames.items():
            hits = 0
            for frame in batch:
                started = time.perf_counter()
                hits += any(face.emotion for face in faces.read_faces(frame))
                timings.append((time.perf_counter() - started) * 1000)
            found[key] = hits / len(batch)
        false_faces = sum(
            len(faces.read_faces(picture, min_face=min_face, every_face=every_face))
            for picture in pictures
            for min_face, every_face in ((faces.WEBCAM_MIN_FACE, False), (faces.PHOTO_MIN_FACE, True))
        )
        rates = ", ".join(f"{name} {tilt:g}° {rate:.1%}" for (name, tilt), rate in found.items())
        print(
            f"{setting:>7}: found {rates}; false faces {false_faces}; "
            f"median read_faces {statistics.median(timings):.2f} ms",
            flush=True,
        )
    detector.SCORE_THRESHOLD, detector.SMALLEST_FACE_PX = served
    detector.forget_detectors()


if __name__ == "__main__":
    main()
