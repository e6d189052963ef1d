"""Whether the face's geometry, read beside the CNN, reads real photos better: a study for issue 49 (not served).

    python bench/geometry_layer.py [--l2 30] [--set-weights 1,1] [--iterations 400]

Every photo of portraits-dev and realfaces is read as bench/real_photos.py reads it (a 640×480 webcam frame, YuNet,
the face mesh, the levelled crop, the served CNN). Its mesh gives the MEASURES below: FACS-like distances in the
levelled face, in eye distances. A softmax layer on top of the CNN keeps the CNN's term and adds the measures:

    logits = a · log p + W · standardised(measures) + b        (W under an L2 penalty of --l2)

Raw: p is the CNN's reading and the measures are as they are. Calibrated: p is the served calibration's reading
against the person's other neutral photos (leave-one-out, as real_photos.py) and the measures are their change from
the mean of those photos' measures. The layer is fitted with each photo weighted so that every class of each set
weighs the same and each set weighs --set-weights, and checked on people it was not fitted on: leave one person out
on portraits-dev, five folds of people on realfaces (the other set always in the fit). Printed per set: the CNN
alone and with the layer, accuracy, macro recall and per-class recall, on held-out people only.
"""

from __future__ import annotations

import argparse
import zlib

import numpy as np
from common import setup_django
from real_photos import PHOTO_SIDE, other_resting_photos, photo_folder, primary_face, read_photos, scores

SETS = ("portraits-dev", "realfaces")
PERSON_FOLDS = 5  # realfaces' people, split in this many folds (portraits-dev: one person per fold)
PROBABILITY_FLOOR = 0.01  # as ml.calibration floors probabilities before their log
RIGHT_EYE, LEFT_EYE = (33, 133, 159, 145), (263, 362, 386, 374)  # MediaPipe's canonical mesh numbering
EYE_CORNERS = [33, 133, 263, 362]
# Each measure: points of the levelled face (x right, y down, in eye distances from the eyes' midpoint) → a number.
MEASURES = {
    "inner brows raised": lambda p, eyes: eyes - (p[107, 1] + p[336, 1]) / 2,
    "outer brows raised": lambda p, eyes: eyes - (p[70, 1] + p[300, 1]) / 2,
    "brows raised": lambda p, eyes: eyes - (p[105, 1] + p[334, 1]) / 2,
    "brows apart": lambda p, eyes: p[336, 0] - p[107, 0],
    "eyes open": lambda p, eyes: ((p[145, 1] - p[159, 1]) + (p[374, 1] - p[386, 1])) / 2,
    "lower lids raised": lambda p, eyes: eyes - (p[145, 1] + p[374, 1]) / 2,
    "mouth wide": lambda p, eyes: p[291, 0] - p[61, 0],
    "mouth open": lambda p, eyes: p[14, 1] - p[13, 1],
    "lip corners up": lambda p, eyes: (p[13, 1] + p[14, 1]) / 2 - (p[61, 1] + p[291, 1]) / 2,
    "upper lip to nose": lambda p, eyes: p[0, 1] - p[2, 1],
    "jaw dropped": lambda p, eyes: p[152, 1] - p[2, 1],
    "lower lip to chin": lambda p, eyes: p[152, 1] - p[17, 1],
    "nose wide": lambda p, eyes: p[327, 0] - p[98, 0],
    "lip corners below nose": lambda p, eyes: (p[61, 1] + p[291, 1]) / 2 - p[2, 1],
    "lips tall": lambda p, eyes: p[17, 1] - p[0, 1],
}


def face_measures(points: np.ndarray) -> np.ndarray:
    """(468, 2) mesh points in image pixels → the MEASURES, in the face's own upright frame and eye distances."""
    right, left = points[list(RIGHT_EYE)].mean(axis=0), points[list(LEFT_EYE)].mean(axis=0)
    angle = np.arctan2(*(left - right)[::-1])
    level = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    levelled = (points - (right + left) / 2) @ level.T / np.linalg.norm(left - right)
    eyes = levelled[EYE_CORNERS, 1].mean()
    return np.array([measure(levelled, eyes) for measure in MEASURES.values()])


def read_set(name: str) -> dict:
    """Each photo's label, person, served CNN reading and measures (None where no readable face is found)."""
    from ml.preprocess import levelled_crop, preprocess_faces
    from recognition import faces

    photos = read_photos(photo_folder(name))
    readings, measures = [], []
    for *_, image in photos:
        face = primary_face(image, PHOTO_SIDE)
        if face is None:
            readings.append(None)
            measures.append(None)
            continue
        readings.append(faces.classifier().predict(preprocess_faces([levelled_crop(face.gray, *face.framing)]))[0])
        measures.append(face_measures(face.mesh.points))
    found = [reading is not None for reading in readings]
    people = [person or f"alone:{file}" for file, _, person, _ in photos]
    folds = (
        np.unique(people, return_inverse=True)[1]
        if name == "portraits-dev"
        else np.array([zlib.crc32(person.encode()) % PERSON_FOLDS for person in people])
    )
    return {
        "labels": np.array([label for _, label, _, _ in photos]),
        "readings": readings,
        "measures": measures,
        "resting": other_resting_photos(photos, found),
        "folds": folds,
    }


def features(data: dict, calibrated: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indices, CNN log-probabilities, measures) of the photos the layer can read in this mode."""
    from ml.calibration import baseline_from_readings, calibrate

    indices, logs, shapes = [], [], []
    for index, (reading, measures) in enumerate(zip(data["readings"], data["measures"])):
        resting = data["resting"][index]
        if reading is None or (calibrated and not resting):
            continue
        if calibrated:
            reading = calibrate(reading, baseline_from_readings([data["readings"][other] for other in resting]))
            measures = measures - np.mean([data["measures"][other] for other in resting], axis=0)
        indices.append(index)
        logs.append(np.log(np.maximum(reading, PROBABILITY_FLOOR)))
        shapes.append(measures)
    return np.array(indices), np.array(logs), np.array(shapes)


def fit(logs, shapes, labels, weights, l2: float, iterations: int):
    """The layer's (a, W, b), by Adam on the weighted cross-entropy."""
    a, w, b = np.ones(1), np.zeros((shapes.shape[1], 7)), np.zeros(7)
    targets = np.eye(7)[labels]
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in (a, w, b)]
    for step in range(1, iterations + 1):
        error = (softmax(a * logs + shapes @ w + b) - targets) * (weights / weights.sum())[:, None]
        gradients = (np.array([(error * logs).sum()]), shapes.T @ error + l2 * w / len(labels), error.sum(axis=0))
        for parameter, gradient, (mean, square) in zip((a, w, b), gradients, moments):
            mean += 0.1 * (gradient - mean)
            square += 0.001 * (gradient**2 - square)
            parameter -= 0.03 * (mean / (1 - 0.9**step)) / (np.sqrt(square / (1 - 0.999**step)) + 1e-8)
    return a, w, b


def softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def balanced_weights(labels: np.ndarray, set_weight: float) -> np.ndarray:
    counts = np.bincount(labels, minlength=7)
    return set_weight / np.maximum(counts[labels], 1) / np.count_nonzero(counts)


def held_out_readings(sets: dict, name: str, calibrated: bool, args) -> tuple[np.ndarray, np.ndarray]:
    """The layer's readings of every photo of `name`, each by a layer fitted without that photo's person, and
    the CNN's own (-1 where none)."""
    data = sets[name]
    indices, logs, shapes = features(data, calibrated)
    others = [
        (features(sets[other], calibrated), sets[other]["labels"], weight)
        for other, weight in args.weights
        if other != name
    ]
    own_weight = dict(args.weights)[name]
    layer, cnn = np.full(len(data["labels"]), -1), np.full(len(data["labels"]), -1)
    cnn[indices] = np.argmax(logs, axis=1)
    for fold in np.unique(data["folds"][indices]):
        fitting = data["folds"][indices] != fold
        parts = [(logs[fitting], shapes[fitting], data["labels"][indices[fitting]], own_weight)]
        parts += [
            (other_logs, other_shapes, labels[other_indices], weight)
            for (other_indices, other_logs, other_shapes), labels, weight in others
        ]
        fit_logs = np.vstack([part[0] for part in parts])
        fit_shapes = np.vstack([part[1] for part in parts])
        fit_labels = np.concatenate([part[2] for part in parts])
        weights = np.concatenate([balanced_weights(part[2], part[3]) for part in parts])
        centre, spread = fit_shapes.mean(axis=0), fit_shapes.std(axis=0) + 1e-6
        a, w, b = fit(fit_logs, (fit_shapes - centre) / spread, fit_labels, weights, args.l2, args.iterations)
        checking = ~fitting
        layer[indices[checking]] = np.argmax(a * logs[checking] + (shapes[checking] - centre) / spread @ w + b, axis=1)
    return layer, cnn


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=30.0, help="L2 penalty on the measures' weights")
    parser.add_argument("--set-weights", default="1,1", help="portraits-dev,realfaces: each set's share of the fit")
    parser.add_argument("--iterations", type=int, default=400)
    args = parser.parse_args()
    try:
        args.weights = list(zip(SETS, map(float, args.set_weights.split(",")), strict=True))
    except ValueError:
        parser.error(f"--set-weights: two numbers, e.g. 1,1 (got {args.set_weights!r})")
    setup_django()
    from recognition.faces import warm_up

    warm_up()
    sets = {name: read_set(name) for name in SETS}
    print(f"measures: {', '.join(MEASURES)}; l2 {args.l2}, set weights {args.set_weights}")
    for calibrated in (False, True):
        for name in SETS:
            layer, cnn = held_out_readings(sets, name, calibrated, args)
            labels = sets[name]["labels"]
            chosen = np.flatnonzero(cnn >= 0) if calibrated else np.arange(len(labels))
            for who, predicted in (("CNN alone", cnn), ("with the layer", layer)):
                result = scores(labels[chosen], [None if p < 0 else np.eye(7)[p] for p in predicted[chosen]])
                per_class = " ".join(f"{emotion} {value:.0%}" for emotion, value in result["recall"].items())
                mode = "calibrated" if calibrated else "raw"
                print(
                    f"{name:<14} {mode:<10} {who:<15} n={result['count']:<5} accuracy {result['accuracy']:6.1%}"
                    f"  macro {result['macro_recall']:6.1%}  | {per_class}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
