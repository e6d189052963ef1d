"""Evaluate weights on any dataset in either layout.

    python -m ml.evaluate DATA [--weights PATH] [--usage PublicTest] [--precision dynamic_int8]

Prints the per-class report and confusion matrix; the LAST line is exactly ``accuracy=0.XXXX``.
"""
from __future__ import annotations

import argparse
import sys

from .dataset import DatasetError, FaceDataset, load_dataset
from .inference import DEFAULT_WEIGHTS, PRECISIONS, SERVED_PRECISION, EmotionClassifier
from .metrics import classification_report, format_report
from .preprocess import preprocess_faces


def evaluate(classifier: EmotionClassifier, dataset: FaceDataset) -> dict:
    probabilities = classifier.predict(preprocess_faces(dataset.faces))
    return classification_report(dataset.labels, probabilities.argmax(axis=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("data", help="a FER2013-layout CSV (plain or .gz) or an <emotion>/ image folder tree")
    parser.add_argument("--weights", default=None, help=f"a .keras file (default: the shipped {DEFAULT_WEIGHTS.name})")
    parser.add_argument("--usage", default=None,
                        help="evaluate only rows with this Usage / split folder (default: every row)")
    parser.add_argument("--precision", choices=PRECISIONS, default=SERVED_PRECISION,
                        help="how to run the model (default: as the site serves it; the others are its "
                             "TensorFlow-graph peers)")
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
    print(format_report(report))
    print(f"accuracy={report['accuracy']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
