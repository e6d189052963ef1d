"""How float .keras nets, and the mean of their readings, read the real photo sets, with the training prior taken out.

    python bench/net_ensembles.py portraits-dev realfaces --nets A.keras B.keras [C.keras] [--taus 0,0.25,0.5]

Before distilling an ensemble into one net (ml.distill), this says whether the ensemble is worth it: every
photo is framed and its primary face found and cropped as `bench/real_photos.py` does (the served detector and
preprocessing), then each net reads the crop in float32 with the served mirror averaging. Every non-empty set
of the nets is scored as the mean of its members' readings, each reading divided by FER+'s training
vote shares to the power τ (logit adjustment, as `ml.train --logit-adjustment` bakes in), raw and
calibrated leave-one-out to each person's other neutral photos. Float readings run about a point above the
served int8 ones on `portraits-dev` (docs/experiments/ferplus-votes-s.md); compare nets within one run, and
read a net to ship as served with `bench/real_photos.py`.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from common import setup_django
from real_photos import photo_folder, photo_sets_parser, primary_face, raw_and_calibrated, read_photos


def served_crops(photos, photo_side: int) -> tuple[np.ndarray, list[bool]]:
    """The preprocessed crop of each photo's primary face (zeros where none is found) and whether one was."""
    from ml.preprocess import levelled_crop, preprocess_faces

    found = [primary_face(image, photo_side) for *_, image in photos]
    blank = np.zeros((48, 48), np.uint8)
    crops = [blank if face is None else levelled_crop(face.gray, *face.framing) for face in found]
    return preprocess_faces(crops), [face is not None for face in found]


def training_prior(data: str) -> np.ndarray:
    """The class shares of the FER+ training targets: what --logit-adjustment divides by."""
    from ml.dataset import load_dataset, training_rows

    _, targets = training_rows(load_dataset(data), "Training")
    return targets.mean(axis=0)


def main():
    from ml.dataset import DEFAULT_DATA

    parser = photo_sets_parser(__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", required=True, help=".keras weights to read with, alone and together")
    parser.add_argument("--taus", default="0,0.25,0.5", help="powers of the training prior to divide by")
    parser.add_argument("--training-data", default=str(DEFAULT_DATA), help="the FER+ file whose prior is used")
    args = parser.parse_args()
    setup_django()
    from ml.labels import EMOTIONS
    from ml.model import KerasMirrorClassifier
    from recognition import faces

    faces.warm_up()
    taus = [float(tau) for tau in args.taus.split(",")]
    prior = training_prior(args.training_data)
    print("FER+ training prior: " + " ".join(f"{e} {share:.3f}" for e, share in zip(EMOTIONS, prior)))
    nets = {Path(net).stem: KerasMirrorClassifier(net) for net in args.nets}
    for name in args.data:
        photos = read_photos(photo_folder(name))
        crops, found = served_crops(photos, args.photo_side)
        readings = {net: classifier.predict(crops) for net, classifier in nets.items()}
        print(f"{name}: {len(photos)} photos, a face found in {sum(found)}")
        for size in range(1, len(nets) + 1):
            for members in itertools.combinations(nets, size):
                mean = np.mean([readings[member] for member in members], axis=0)
                for tau in taus:
                    adjusted = mean / prior**tau
                    adjusted /= adjusted.sum(axis=1, keepdims=True)
                    read = [reading if face else None for reading, face in zip(adjusted, found)]
                    raw, calibrated, calibrated_count = raw_and_calibrated(photos, read)
                    per_class = " ".join(f"{emotion[:3]} {value:.0%}" for emotion, value in raw["recall"].items())
                    print(
                        f"  {'+'.join(members):<24} τ {tau:<5} raw {raw['accuracy']:6.1%} (macro "
                        f"{raw['macro_recall']:6.1%})  calibrated {calibrated['accuracy']:6.1%} (macro "
                        f"{calibrated['macro_recall']:6.1%}, n={calibrated_count})  | {per_class}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
