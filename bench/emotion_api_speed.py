"""POST /api/emotion end to end through Django (decode + detect + face mesh + levelled crop + classify + JSON)
per 640×480 JPEG frame with one face (target p50 ≤ 15 ms, also with a calibration baseline), and the same frames
through the `fer` package in the same run (target: ours ≥ 3× faster).

    python bench/emotion_api_speed.py [--repeat 200] [--no-fer]

`fer` (PyPI) is installed on first use into bench/.fer-packages only (pip --no-deps, with pandas, requests,
tqdm and matplotlib), never into the project's environment; it brings its own bundled model and cascade.
"""

import argparse
import io
import itertools
import statistics

import cv2
import numpy as np
from common import fer_detector, median_ms, setup_django, timings_ms


def frames(count: int) -> list[bytes]:
    from testkit.images import encode, webcam_frame

    base = webcam_frame()
    rng = np.random.default_rng(0)
    result = []
    for _ in range(count):  # the face moves a little and the light changes, as in a live stream
        dx, dy = rng.integers(-40, 41, 2)
        moved = np.roll(base, (int(dy), int(dx)), axis=(0, 1))
        lit = np.clip(moved.astype(np.int16) + int(rng.integers(-20, 21)), 0, 255).astype(np.uint8)
        result.append(encode(lit, ".jpg"))
    return result


# A person's resting-face reading, as the generate page sends it once calibrated (ml.calibration).
BASELINE = '{"angry": 0.08, "disgust": 0.01, "fear": 0.05, "happy": 0.1, "sad": 0.2, "surprise": 0.04, "neutral": 0.52}'


def ours(jpegs, repeat, baseline=None):
    setup_django()
    from django.test import Client

    from recognition.faces import warm_up

    warm_up()
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host: this is not the test runner

    def post(data):
        upload = io.BytesIO(data)
        upload.name = "frame.jpg"
        fields = {"image": upload} | ({"baseline": baseline} if baseline else {})
        response = client.post("/api/emotion", fields)
        assert response.status_code == 200 and response.json()["primary"] == 0, response.content
        assert response.json()["calibrated"] is bool(baseline)

    frames_in_turn = itertools.cycle(jpegs)
    return timings_ms(lambda: post(next(frames_in_turn)), repeat, warmup=10)


def stages(jpegs, repeat):
    """Where our time goes, one stage at a time on the first frame (medians)."""
    from ml.preprocess import fer_framing, levelled_crop, preprocess_faces
    from recognition import detector, faces, mesh
    from recognition.images import decode_for_reading

    decode = lambda: decode_for_reading(jpegs[0])  # what the served form does
    gray = np.asarray(decode())
    detect = lambda: detector.detect(gray, faces.WEBCAM_MIN_FACE)
    (face, *_) = detect()
    place = lambda: mesh.place_mesh(gray, face.centre, face.side)
    crop = lambda: preprocess_faces([levelled_crop(gray, *fer_framing(place().landmarks))])
    crops = crop()
    classify = lambda: faces.classifier().predict(crops)
    return {
        name: median_ms(step, repeat)
        for name, step in (
            ("decode (luma)", decode),
            ("detect", detect),
            ("mesh", place),
            ("classify", classify),
        )
    }


def fer(jpegs, repeat):
    detector = fer_detector()

    def detect(data):
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert detector.detect_emotions(image), "fer found no face"

    frames_in_turn = itertools.cycle(jpegs)
    return timings_ms(lambda: detect(next(frames_in_turn)), repeat, warmup=10)


def report(name, timings):
    p50, p90 = statistics.median(timings), float(np.percentile(timings, 90))
    print(f"{name:<22} p50 {p50:7.2f} ms   p90 {p90:7.2f} ms   ({len(timings)} frames)")
    return p50


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--no-fer", action="store_true", help="skip the fer comparison")
    args = parser.parse_args()
    jpegs = frames(20)
    ours_p50 = report("ours, through Django", ours(jpegs, args.repeat))
    report("ours, with a baseline", ours(jpegs, args.repeat, BASELINE))
    print("  of which: " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in stages(jpegs, args.repeat).items()))
    if not args.no_fer:
        fer_p50 = report("fer package", fer(jpegs, args.repeat))
        print(f"speed-up: ours is {fer_p50 / ours_p50:.1f}x faster than fer (p50)")


if __name__ == "__main__":
    main()
