"""Distillation: one net learns from an ensemble of our own nets.

    python -m ml.distill --teachers A.keras B.keras ... --out teacher_readings.npz [--data PATH] [--usage Training]
    python -m ml.train --teacher-readings teacher_readings.npz [--distill 0.5] ...

An ensemble of nets reads faces better than any one of them, real photos included, but serving several would
multiply the cost of every face. So the ensemble reads every training face once (each teacher with the served
mirror averaging, then the mean over teachers) and `ml.train` mixes that reading into each face's label:
label = (1 − distill)·one-hot + distill·reading. The reading carries what the one-hot label cannot: that
a face is half fear and half surprise, or that a FER2013 label is wrong.

The readings are saved with a fingerprint of the faces and labels they were computed on, so they can be made
on one machine and trained on another (the CSV may be repacked on the way), and are refused for other rows.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import zipfile
from pathlib import Path

import numpy as np


class ReadingsError(ValueError):
    """A file that is not teacher readings, or readings computed on other faces than the ones being trained on."""


def faces_fingerprint(faces: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 of the uint8 pixels and labels: the same rows in the same order, however the file was stored."""
    digest = hashlib.sha256(np.ascontiguousarray(faces, np.uint8).tobytes())
    digest.update(np.asarray(labels, np.int64).tobytes())
    return digest.hexdigest()


def ensemble_readings(teachers, faces: np.ndarray) -> np.ndarray:
    """The mean served reading (mirror-averaged softmax) of every teacher, for each preprocessed face."""
    from .model import KerasMirrorClassifier

    return np.mean([KerasMirrorClassifier(teacher).predict(faces) for teacher in teachers], axis=0)


def save_readings(path: str | Path, readings: np.ndarray, fingerprint: str, teachers) -> None:
    np.savez_compressed(path, readings=readings.astype(np.float32), fingerprint=fingerprint,
                        teachers=np.array([Path(teacher).name for teacher in teachers]))


def load_readings(path: str | Path, fingerprint: str) -> np.ndarray:
    """The readings saved at `path`; ReadingsError if it holds none or they were computed on other rows."""
    try:
        with np.load(path) as saved:
            saved_fingerprint, readings = str(saved["fingerprint"]), saved["readings"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise ReadingsError(f"{path}: not teacher readings written by `python -m ml.distill` ({error})") from error
    if saved_fingerprint != fingerprint:
        raise ReadingsError(f"{path}: teacher readings were computed on other faces than these; "
                            "run `python -m ml.distill` on this data")
    return readings


def distilled_labels(one_hot: np.ndarray, readings: np.ndarray, share: float) -> np.ndarray:
    """(1 − share)·one-hot + share·reading: each row still sums to 1."""
    return ((1.0 - share) * one_hot + share * readings).astype(np.float32)


def main(argv=None) -> int:
    from .train import DEFAULT_DATA

    parser = argparse.ArgumentParser(prog="python -m ml.distill", description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", nargs="+", required=True, help=".keras weights of the ensemble")
    parser.add_argument("--out", required=True, help="where to write the readings (.npz)")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013 CSV (.csv/.csv.gz) or image folders")
    parser.add_argument("--usage", default="Training", help="rows to read (the ones ml.train trains on)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .dataset import DatasetError, load_dataset
    from .preprocess import preprocess_faces

    missing = [teacher for teacher in args.teachers if not Path(teacher).is_file()]
    if missing:
        parser.error(f"no such weights: {', '.join(missing)}")
    if not Path(args.out).resolve().parent.is_dir():
        parser.error(f"no folder for {args.out}")
    try:
        rows = load_dataset(args.data).subset(args.usage)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not len(rows):
        print(f"error: {args.data}: no rows with Usage {args.usage!r}", file=sys.stderr)
        return 2
    print(f"reading {len(rows)} {args.usage} faces with {len(args.teachers)} teachers", flush=True)
    readings = ensemble_readings(args.teachers, preprocess_faces(rows.faces))
    save_readings(args.out, readings, faces_fingerprint(rows.faces, rows.labels), args.teachers)
    agreement = float(np.mean(readings.argmax(axis=1) == rows.labels))
    print(f"the ensemble agrees with {agreement:.1%} of the labels; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
