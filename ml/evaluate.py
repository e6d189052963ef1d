"""Evaluate weights on any dataset in either layout.

    python -m ml.evaluate DATA [--weights PATH] [--usage PublicTest] [--precision dynamic_int8]

Prints the per-class report and confusion matrix; the LAST line is exactly ``accuracy=0.XXXX``. On a FER+ file
that is the accuracy against the ten taggers' majority label (faces whose votes tie, or whose majority is
contempt, unknown or not a face, are left out and counted), with FER2013's single label's accuracy on the
line before.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from .dataset import NO_LABEL, DatasetError, FaceDataset, load_dataset
from .inference import DEFAULT_WEIGHTS, PRECISIONS, SERVED_PRECISION, EmotionClassifier
from .metrics import classification_report, format_report
from .preprocess import preprocess_faces


def evaluate(classifier: EmotionClassifier, dataset: FaceDataset) -> dict:
    """The report over the faces that have a label (all of them, but for FER+'s ties and non-emotions); on a
    FER+ file also `fer2013_labels`: agreement with FER2013's own single label where it is known, from the same
    readings."""
    predicted = classifier.predict(preprocess_faces(dataset.faces)).argmax(axis=1)
    labelled = dataset.labels != NO_LABEL
    report = classification_report(dataset.labels[labelled], predicted[labelled])
    if dataset.fer2013_labels is not None:
        known = dataset.fer2013_labels != NO_LABEL
        report["fer2013_labels"] = {
            "accuracy": float(np.mean(predicted[known] == dataset.fer2013_labels[known])),
            "count": int(known.sum()),
        }
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("data", help="a FER2013-layout CSV (plain or .gz) or an <emotion>/ image folder tree")
    parser.add_argument("--weights", default=None, help=f"a .keras file (default: the shipped {DEFAULT_WEIGHTS.name})")
    parser.add_argument(
        "--usage", default=None, help="evaluate only rows with this Usage / split folder (default: every row)"
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=SERVED_PRECISION,
        help="how to run the model (default: as the site serves it; the others are its TensorFlow-graph peers)",
    )
    args = parser.parse_args(argv)
    try:
        dataset = load_dataset(args.data)
        if args.usage:
            dataset = dataset.subset(args.usage)
            if not len(dataset):
                raise DatasetError(f"{args.data}: no rows with Usage {args.usage!r}")
        classifier = EmotionClassifier(args.weights, precision=args.precision)
    except (DatasetError, FileNotFoundError, ValueError) as error:  # ValueError: a stale export included
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = evaluate(classifier, dataset)
    print(f"{dataset.source}: {report['count']} faces, weights {classifier.weights}, {classifier.precision}")
    if dataset.votes is not None:
        print(
            f"labels: the FER+ taggers' majority; {len(dataset) - report['count']} of {len(dataset)} faces left "
            f"out (votes tied, or most taggers said contempt, unknown or not a face)"
        )
    print(format_report(report))
    fer2013 = report.get("fer2013_labels")
    if fer2013:
        print(f"FER2013's single label, {fer2013['count']} faces: accuracy {fer2013['accuracy']:.4f}")
    print(f"accuracy={report['accuracy']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
