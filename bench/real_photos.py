"""How well the served pipeline reads real photos, raw and calibrated to each person, beside the `fer` package.

    python bench/real_photos.py portraits-dev [--no-fer] [--sweep]
    python bench/real_photos.py realfaces [--no-fer] [--sweep]

DATA is a folder of ``<emotion>/<file>.jpg`` (or the name of one under ../shared/data). Each photo is placed
in a 640×480 frame as a webcam would see it (scaled to --photo-side px high, centred, edges replicated),
JPEG-encoded as the generate page sends its frames, and read through the served pipeline: decode (luma) →
YuNet detection → face mesh → levelled FER framing → the shipped model with mirror TTA
(recognition.faces.read_faces). The `fer`
package reads the same frames in the same run.

Printed: faces found (overall and per class), accuracy (a photo whose face was not found counts as wrong),
macro recall (the mean of the 7 per-class recalls, so the rare classes weigh as much as neutral) and
per-class recall.

Calibrated: every photo is read again against its person's resting face (ml.calibration), the baseline being
the mean reading of that person's *other* neutral photos (leave-one-out), as the generate page builds it from
a few relaxed frames. The person is the file name's first two characters (portraits-dev) or people.csv's
`person` column (realfaces); photos of people without another neutral photo keep their raw reading and are
counted apart. --sweep prints the calibrated figures for a grid of strengths and neutral bonuses.
--write-card records the figures in the shipped model card (ml/weights/model_card.json, `real_photos`), where
the home page shows them to users beside the FER2013 figures.
"""

from __future__ import annotations

import argparse
import csv
import datetime
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from common import ROOT, fer_detector, setup_django

SHARED_DATA = ROOT.parent / "shared" / "data"
FRAME_SIZE = (640, 480)
JPEG_QUALITY = 92  # what the generate page's canvas.toBlob uses for a capture
PHOTO_SIDE = 288  # photo height in the 640×480 frame, px: a face near a laptop camera


def photo_sets_parser(description: str) -> argparse.ArgumentParser:
    """The arguments every script that reads several photo sets shares: the sets, and how big they sit in the frame."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("data", nargs="+", help="portraits-dev, realfaces, or folders of <emotion>/ photos")
    parser.add_argument("--photo-side", type=int, default=PHOTO_SIDE, help="photo height in the 640×480 frame, px")
    return parser


def photo_folder(name: str) -> Path:
    path = Path(name)
    return path if path.is_dir() else SHARED_DATA / name


def read_photos(folder: Path):
    """(file, emotion label, person or None, BGR image) for each photo, sorted by file name."""
    from ml.labels import EMOTIONS

    people = {}
    if (folder / "people.csv").is_file():
        with open(folder / "people.csv", newline="") as handle:
            people = {row["file"]: row["person"] or None for row in csv.DictReader(handle)}
    photos = []
    for label, emotion in enumerate(EMOTIONS):
        for file in sorted((folder / emotion).glob("*.jp*g")):
            relative = f"{emotion}/{file.name}"
            person = people.get(relative) if people else file.name[:2]
            photos.append((relative, label, person, cv2.imread(str(file), cv2.IMREAD_COLOR)))
    return photos


def webcam_frame(photo: np.ndarray, photo_side: int, tilt: float = 0.0) -> bytes:
    """The photo centred in a 640×480 frame, turned `tilt` degrees clockwise about the frame's centre (a head
    leaning as people lean theirs at a camera), as JPEG bytes."""
    frame = place_in_frame(photo, photo_side)
    if tilt:
        turn = cv2.getRotationMatrix2D(((FRAME_SIZE[0] - 1) / 2, (FRAME_SIZE[1] - 1) / 2), -tilt, 1.0)
        frame = cv2.warpAffine(frame, turn, FRAME_SIZE, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].tobytes()


def place_in_frame(photo: np.ndarray, photo_side: int) -> np.ndarray:
    """The photo scaled to `photo_side` px high and centred in a 640×480 BGR frame, edges replicated."""
    height, width = photo.shape[:2]
    scale = photo_side / height
    photo = cv2.resize(
        photo, (round(width * scale), photo_side), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )
    height, width = photo.shape[:2]
    left, top = (FRAME_SIZE[0] - width) // 2, (FRAME_SIZE[1] - height) // 2
    return cv2.copyMakeBorder(
        photo, top, FRAME_SIZE[1] - height - top, left, FRAME_SIZE[0] - width - left, cv2.BORDER_REPLICATE
    )


class PrimaryFace(NamedTuple):
    gray: np.ndarray  # the luma webcam frame
    framing: tuple  # (centre, side, roll): ml.preprocess.fer_framing, to cut with ml.preprocess.levelled_crop
    mesh: object  # recognition.mesh.Mesh: its points


def primary_face(image: np.ndarray, photo_side: int) -> PrimaryFace | None:
    """The photo's largest readable face as the served pipeline finds and frames it in its webcam frame, or None:
    the face `read_ours` reads, for scripts that cut or measure it themselves."""
    from ml.preprocess import fer_framing
    from recognition import faces
    from recognition.images import decode_for_reading

    gray = np.asarray(decode_for_reading(webcam_frame(image, photo_side)))
    located = faces.locate_faces(gray, faces.WEBCAM_MIN_FACE)
    readable = [mesh for detection, mesh in located if faces.is_readable(detection)]
    return PrimaryFace(gray, fer_framing(readable[0].landmarks), readable[0]) if readable else None


def raw_and_calibrated(photos, readings) -> tuple[dict, dict, int]:
    """Raw scores of every photo, calibrated scores of those whose person has another neutral photo, and how
    many those are."""
    labels = [label for _, label, _, _ in photos]
    baselines = leave_one_out_baselines(photos, readings)
    subset = [index for index, baseline in enumerate(baselines) if baseline is not None]
    calibrated = calibrated_readings(readings, baselines)
    return (
        scores(labels, readings),
        scores([labels[i] for i in subset], [calibrated[i] for i in subset]),
        len(subset),
    )


def read_ours(frames, *, with_rolls: bool = False):
    """The served reading of each frame's primary face (the largest readable one), None when none is found; with
    `with_rolls`, also each such face's roll (degrees) or None."""
    from recognition.faces import read_faces
    from recognition.images import decode_for_reading

    readings, rolls = [], []
    for frame in frames:
        readable = [face for face in read_faces(decode_for_reading(frame)) if face.emotion]
        readings.append(readable[0].probabilities if readable else None)
        rolls.append(readable[0].roll if readable else None)
    return (readings, rolls) if with_rolls else readings


def read_fer(frames) -> list[np.ndarray | None]:
    from ml.labels import EMOTIONS

    detector = fer_detector()
    readings = []
    for frame in frames:
        found = detector.detect_emotions(cv2.imdecode(np.frombuffer(frame, np.uint8), cv2.IMREAD_COLOR))
        if found:
            largest = max(found, key=lambda face: face["box"][2] * face["box"][3])
            readings.append(np.array([largest["emotions"][emotion] for emotion in EMOTIONS], np.float32))
        else:
            readings.append(None)
    return readings


def scores(labels, readings) -> dict:
    """Found rate, accuracy (not found = wrong), macro recall and per-class recall."""
    from ml.labels import EMOTIONS

    labels = np.asarray(labels)
    predicted = np.array([-1 if reading is None else int(np.argmax(reading)) for reading in readings])
    present = [(index, emotion) for index, emotion in enumerate(EMOTIONS) if np.any(labels == index)]
    recall = {emotion: float(np.mean(predicted[labels == index] == index)) for index, emotion in present}
    return {
        "count": len(labels),
        "found": float(np.mean(predicted >= 0)),
        "accuracy": float(np.mean(predicted == labels)),
        "macro_recall": float(np.mean(list(recall.values()))),
        "recall": recall,
        # A class whose faces the detector misses cannot be read right, whatever the model does.
        "found_by_class": {emotion: float(np.mean(predicted[labels == index] >= 0)) for index, emotion in present},
    }


def format_scores(name: str, result: dict) -> str:
    per_class = " ".join(f"{emotion} {value:.0%}" for emotion, value in result["recall"].items())
    return (
        f"{name:<34} n={result['count']:<5} found {result['found']:6.1%}  accuracy {result['accuracy']:6.1%}"
        f"  macro recall {result['macro_recall']:6.1%}  | {per_class}"
    )


def format_found(name: str, result: dict) -> str:
    return f"{name:<34} faces found per class: " + " ".join(
        f"{emotion} {value:.0%}" for emotion, value in result["found_by_class"].items()
    )


def other_resting_photos(photos, available) -> list[list[int]]:
    """For each photo, the indices of its person's other neutral photos among those `available` (a flag each)."""
    from ml.labels import EMOTIONS

    neutral = EMOTIONS.index("neutral")
    resting = defaultdict(list)  # person → indices of their neutral photos
    for index, ((_, label, person, _), usable) in enumerate(zip(photos, available)):
        if person and label == neutral and usable:
            resting[person].append(index)
    return [
        [other for other in resting.get(person, []) if other != index] for index, (*_, person, _) in enumerate(photos)
    ]


def leave_one_out_baselines(photos, readings) -> list[np.ndarray | None]:
    """For each photo, the baseline from its person's other neutral photos (None where there are none)."""
    from ml.calibration import baseline_from_readings

    others = other_resting_photos(photos, [reading is not None for reading in readings])
    return [baseline_from_readings([readings[o] for o in indices]) if indices else None for indices in others]


def calibrated_readings(readings, baselines, **options):
    from ml.calibration import calibrate

    return [
        reading if reading is None or baseline is None else calibrate(reading, baseline, **options)
        for reading, baseline in zip(readings, baselines)
    ]


def record_in_card(name: str, figures: dict) -> None:
    """The figures as the card's real_photos[name] (ml.model_card checks the card before it is written)."""
    from django.conf import settings

    from ml.inference import DEFAULT_WEIGHTS
    from ml.model_card import card_path, read_card, write_card

    path = card_path(settings.EMOJIFY_MODEL_PATH or DEFAULT_WEIGHTS)
    card = read_card(path)
    card.setdefault("real_photos", {})[name] = figures
    write_card(path, card)
    print(f"wrote the {name} figures to {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="portraits-dev, realfaces, or a folder of <emotion>/ photos")
    parser.add_argument(
        "--photo-side",
        type=int,
        default=PHOTO_SIDE,
        help="photo height in the 640×480 frame, px (a face near a laptop camera)",
    )
    parser.add_argument("--no-fer", action="store_true", help="skip the fer package")
    parser.add_argument(
        "--tilt",
        type=float,
        default=0.0,
        help="turn each frame this many degrees clockwise (a tilted head); prints how far the served roll is off",
    )
    parser.add_argument(
        "--write-card",
        action="store_true",
        help="record these figures in the shipped model card (the home page shows them)",
    )
    parser.add_argument(
        "--sweep", action="store_true", help="calibrated figures for a grid of strengths and neutral bonuses"
    )
    args = parser.parse_args()
    setup_django()
    from ml import calibration
    from recognition.faces import warm_up

    folder = photo_folder(args.data)
    photos = read_photos(folder)
    if not photos:
        parser.error(f"{folder}: no <emotion>/*.jpg photos")
    if args.write_card and args.tilt:
        parser.error("--write-card records upright frames only: leave out --tilt")
    frames = [webcam_frame(image, args.photo_side, args.tilt) for *_, image in photos]
    labels = [label for _, label, _, _ in photos]
    warm_up()
    ours, rolls = read_ours(frames, with_rolls=True)
    print(
        f"{folder}: {len(photos)} photos in {FRAME_SIZE[0]}×{FRAME_SIZE[1]} frames "
        f"({args.photo_side} px high, turned {args.tilt:g}°), served pipeline"
    )
    if any(roll is not None for roll in rolls):
        errors = np.abs([roll - args.tilt for roll in rolls if roll is not None])
        print(
            f"roll: off the applied tilt by {np.median(errors):.1f}° (median), {np.percentile(errors, 90):.1f}° (p90)"
        )
    figures = {"photos": len(photos), "photo_side": args.photo_side, "ours": scores(labels, ours)}
    print(format_scores("ours", figures["ours"]))
    print(format_found("", figures["ours"]))
    peer = None if args.no_fer else read_fer(frames)
    if peer is not None:
        figures["fer"] = scores(labels, peer)
        print(format_scores("fer package", figures["fer"]))
        print(format_found("", figures["fer"]))

    baselines = leave_one_out_baselines(photos, ours)
    with_baseline = [index for index, baseline in enumerate(baselines) if baseline is not None]
    people = {photos[index][2] for index in with_baseline}
    print(
        f"calibrated: {len(with_baseline)} photos of {len(people)} people have another neutral photo "
        f"(strength {calibration.CALIBRATION_STRENGTH}, neutral bonus {calibration.NEUTRAL_BONUS})"
    )
    subset = lambda values: [values[index] for index in with_baseline]
    figures["calibration"] = {
        "people": len(people),
        "strength": calibration.CALIBRATION_STRENGTH,
        "neutral_bonus": calibration.NEUTRAL_BONUS,
        "ours_raw": scores(subset(labels), subset(ours)),
        "ours_calibrated": scores(subset(labels), subset(calibrated_readings(ours, baselines))),
    }
    print(format_scores("  ours raw, same photos", figures["calibration"]["ours_raw"]))
    print(format_scores("  ours calibrated", figures["calibration"]["ours_calibrated"]))
    if peer is not None:
        figures["calibration"]["fer"] = scores(subset(labels), subset(peer))
        print(format_scores("  fer package, same photos", figures["calibration"]["fer"]))
    if args.write_card:
        record_in_card(
            folder.name,
            figures
            | {
                "measured": datetime.date.today().isoformat(),
                "command": f"python bench/real_photos.py {folder.name} --write-card",
            },
        )
    if args.sweep:
        for strength in (0.5, 0.75, 1.0):
            for bonus in (0.0, 0.5, 1.0, 1.5):
                result = scores(
                    subset(labels), subset(calibrated_readings(ours, baselines, strength=strength, neutral_bonus=bonus))
                )
                print(format_scores(f"  sweep strength {strength} bonus {bonus}", result))


if __name__ == "__main__":
    main()
