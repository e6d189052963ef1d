"""Distillation: one net learns from an ensemble of our own nets.

    python -m ml.distill --teachers A.keras B.keras ... --out teacher_readings.npz [--data PATH] [--usage Training]
    python -m ml.train --teacher-readings teacher_readings.npz [--distill 0.5] ...
    python -m ml.train --teachers A.keras B.keras ... [--distill 0.5] [--mixup 0.4] ...

An ensemble of nets reads faces better than any one of them, real photos included, but serving several would
multiply the cost of every face. So the ensemble reads every training face once (each teacher with the served
mirror averaging, then the mean over teachers) and `ml.train` mixes that reading into each face's label:
label = (1 − distill)·one-hot + distill·reading. The reading carries what the one-hot label cannot: that
a face is half fear and half surprise, or that a FER2013 label is wrong.

The readings are saved with a fingerprint of the faces and labels they were computed on, so they can be made
on one machine and trained on another (the CSV may be repacked on the way), and are refused for other rows.

Online, with `--teachers`: the teachers read each training face as augmented, every step, so the student
learns the teachers' reading of exactly the face it sees, where a reading made once of the clean face
says nothing of a rotated, erased or mixed-up one ("consistent teaching", Beyer et al., 2022: *Knowledge
distillation: a good teacher is patient and consistent*). It costs a forward pass of every teacher per
step: for an accelerator, where it allows mixup too (two faces blended; the teachers read the blend).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import zipfile
from pathlib import Path

# Before Keras loads TensorFlow, whose C++ log would otherwise greet `python -m ml.distill` (train.py does the same).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras
import numpy as np
from keras import layers, ops

from .labels import NUM_CLASSES


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
    np.savez_compressed(
        path,
        readings=readings.astype(np.float32),
        fingerprint=fingerprint,
        teachers=np.array([Path(teacher).name for teacher in teachers]),
    )


def load_readings(path: str | Path, fingerprint: str) -> np.ndarray:
    """The readings saved at `path`; ReadingsError if it holds none or they were computed on other rows."""
    try:
        with np.load(path) as saved:
            saved_fingerprint, readings = str(saved["fingerprint"]), saved["readings"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise ReadingsError(f"{path}: not teacher readings written by `python -m ml.distill` ({error})") from error
    if saved_fingerprint != fingerprint:
        raise ReadingsError(
            f"{path}: teacher readings were computed on other faces than these; run `python -m ml.distill` on this data"
        )
    return readings


def distilled_labels(one_hot: np.ndarray, readings: np.ndarray, share: float) -> np.ndarray:
    """(1 − share)·one-hot + share·reading: each row still sums to 1."""
    return ((1.0 - share) * one_hot + share * readings).astype(np.float32)


@keras.saving.register_keras_serializable(package="emojify")
class TeacherEnsemble(layers.Layer):
    """The mean softmax of frozen teacher nets (each in inference mode) over the faces it is given."""

    def __init__(self, teachers, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.paths = [str(teacher) for teacher in teachers]
        self.teachers = [keras.models.load_model(path, compile=False) for path in self.paths]
        for teacher in self.teachers:
            teacher.trainable = False

    def call(self, faces):
        readings = [teacher(faces, training=False) for teacher in self.teachers]
        return ops.stop_gradient(ops.mean(ops.stack([ops.cast(r, "float32") for r in readings]), axis=0))

    def get_config(self):
        return super().get_config() | {"teachers": self.paths}


@keras.saving.register_keras_serializable(package="emojify")
class MixUp(layers.Layer):
    """Blend each training face and its label with another face of the batch (Zhang et al., 2018): the weight
    of the first is drawn from Beta(alpha, alpha) and folded above ½, so the face keeps its own label's
    majority. Identity outside training and for alpha 0."""

    def __init__(self, alpha: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.alpha, self.seed = alpha, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        faces, labels = inputs
        if not training or self.alpha <= 0:
            return faces, labels
        batch = ops.shape(faces)[0]
        weight = keras.random.beta((batch,), self.alpha, self.alpha, seed=self.seed_generator)
        weight = ops.maximum(weight, 1.0 - weight)
        partner = keras.random.shuffle(ops.arange(batch), seed=self.seed_generator)
        blend = lambda x, w: w * x + (1.0 - w) * ops.take(x, partner, axis=0)
        return blend(faces, weight[:, None, None, None]), blend(labels, weight[:, None])

    def get_config(self):
        return super().get_config() | {"alpha": self.alpha, "seed": self.seed}


def online_distillation_trainer(
    student: keras.Model,
    augmentation: layers.Layer,
    teachers,
    *,
    share: float,
    mixup_alpha: float = 0.0,
    seed: int | None = None,
) -> keras.Model:
    """A training wrapper that takes (face, one-hot label) and outputs the student's reading beside its target.

    Target = (1 − share)·label + share·(the teachers' reading of the same augmented, mixed face); the loss
    (`distillation_loss`) compares the two halves, so the target never leaves the graph. The student alone
    is what is saved and served.
    """
    face, label = keras.Input(student.input_shape[1:], name="face"), keras.Input((NUM_CLASSES,), name="label")
    faces, labels = MixUp(mixup_alpha, seed=seed, name="mixup")([augmentation(face), label])
    reading = TeacherEnsemble(teachers, name="teachers")(faces)
    target = (1.0 - share) * labels + share * reading
    outputs = ops.concatenate([ops.cast(student(faces), "float32"), target], axis=-1)
    return keras.Model([face, label], outputs, name="distillation_trainer")


def distillation_loss(label_smoothing: float = 0.0):
    """Cross-entropy of the student's reading (first half of the trainer's output) against its target (second
    half), the target smoothed as Keras smooths labels."""

    def loss(_, reading_and_target):
        reading, target = reading_and_target[:, :NUM_CLASSES], reading_and_target[:, NUM_CLASSES:]
        target = target * (1.0 - label_smoothing) + label_smoothing / NUM_CLASSES
        return keras.losses.categorical_crossentropy(target, reading)

    return loss


def student_accuracy():
    """Accuracy of the student's half of the trainer's output against the true labels, named "accuracy"."""

    def accuracy(labels, reading_and_target):
        return keras.metrics.categorical_accuracy(labels, reading_and_target[:, :NUM_CLASSES])

    return keras.metrics.MeanMetricWrapper(accuracy, name="accuracy")


def main(argv=None) -> int:
    from .dataset import DEFAULT_DATA, DatasetError, load_dataset, training_rows

    parser = argparse.ArgumentParser(prog="python -m ml.distill", description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", nargs="+", required=True, help=".keras weights of the ensemble")
    parser.add_argument("--out", required=True, help="where to write the readings (.npz)")
    parser.add_argument(
        "--data", default=str(DEFAULT_DATA), help="FER+ CSV (votes), FER2013 CSV (.csv/.csv.gz) or image folders"
    )
    parser.add_argument("--usage", default="Training", help="rows to read (the ones ml.train trains on)")
    parser.add_argument(
        "--targets",
        choices=["probability", "majority"],
        default="probability",
        help="as ml.train's: with FER+ votes, which faces have a target decides the rows read",
    )
    parser.add_argument("--min-votes", type=int, default=2, help="as ml.train's")
    args = parser.parse_args(argv)
    from .preprocess import preprocess_faces

    missing = [teacher for teacher in args.teachers if not Path(teacher).is_file()]
    if missing:
        parser.error(f"no such weights: {', '.join(missing)}")
    if not Path(args.out).resolve().parent.is_dir():
        parser.error(f"no folder for {args.out}")
    try:
        rows, targets = training_rows(load_dataset(args.data), args.usage, args.targets, min_votes=args.min_votes)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not len(rows):
        print(f"error: {args.data}: no rows with Usage {args.usage!r}", file=sys.stderr)
        return 2
    print(f"reading {len(rows)} {args.usage} faces with {len(args.teachers)} teachers", flush=True)
    readings = ensemble_readings(args.teachers, preprocess_faces(rows.faces))
    save_readings(args.out, readings, faces_fingerprint(rows.faces, rows.labels), args.teachers)
    agreement = float(np.mean(readings.argmax(axis=1) == targets.argmax(axis=1)))
    print(f"the ensemble agrees with {agreement:.1%} of the labels (FER+: the most-voted); wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
