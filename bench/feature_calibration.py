"""Calibration inside the net: a person's face read after moving an inner layer's features by the resting face's.

    python bench/feature_calibration.py portraits-dev realfaces --net ml/weights/emotion_cnn.keras \
        --layers dense_relu,dense,block5_relu --shares 0.5,0.75,1

The served calibration (ml.calibration) divides a reading by the person's resting reading: a shift of the
last layer's logits. This asks whether the same shift made earlier in the net, where the layers after it are
not linear, reads expressions better: each face's features at LAYER move by SHARE × (the FER+ training neutral
faces' mean features − the person's other neutral photos' mean features), and the rest of the net reads them
(float, the served mirror averaging, on the served crops as `bench/net_ensembles.py` frames them). Share 0 is
the raw reading of the same photos. Only photos whose person has another neutral photo are scored, as for
the served calibration, which is printed beside it.
"""

from __future__ import annotations

import numpy as np
from common import setup_django
from net_ensembles import served_crops
from real_photos import (
    calibrated_readings,
    format_scores,
    leave_one_out_baselines,
    other_resting_photos,
    photo_folder,
    photo_sets_parser,
    read_photos,
    scores,
)

NEUTRAL_FACES = 3000  # FER+ training faces whose features give the population's resting face


def split_at(model, layer: str):
    """(features of the faces at `layer`, the rest of the net as a function of those features → probabilities)."""
    import keras

    front = keras.Model(model.input, model.get_layer(layer).output)
    after = model.layers[[each.name for each in model.layers].index(layer) + 1 :]

    def rest(features):
        for each in after:
            features = each(features, training=False)
        return keras.ops.convert_to_numpy(features)

    return (lambda faces: front.predict(faces, batch_size=512, verbose=0)), rest


def main():
    from ml.dataset import DEFAULT_DATA

    parser = photo_sets_parser(__doc__.splitlines()[0])
    parser.add_argument("--net", default="ml/weights/emotion_cnn.keras", help="float .keras weights")
    parser.add_argument("--layers", default="dense_relu,dense,block5_relu", help="where the features move")
    parser.add_argument("--shares", default="0.5,0.75,1", help="how far towards the population's resting face")
    parser.add_argument("--training-data", default=str(DEFAULT_DATA), help="FER+ file of the neutral faces")
    args = parser.parse_args()
    try:
        shares = [float(share) for share in args.shares.split(",")]
    except ValueError:
        parser.error(f"--shares: comma-separated numbers, e.g. 0.5,1 (got {args.shares!r})")
    setup_django()
    import keras

    from ml.dataset import load_dataset
    from ml.labels import EMOTIONS
    from ml.model import KerasMirrorClassifier
    from ml.preprocess import preprocess_faces
    from recognition import faces

    faces.warm_up()
    model = keras.models.load_model(args.net, compile=False)
    unknown = [layer for layer in args.layers.split(",") if layer not in [each.name for each in model.layers]]
    if unknown:
        layers = ", ".join(each.name for each in model.layers[2:-1])
        parser.error(f"--layers: {', '.join(unknown)} not a layer of {args.net} (its layers: {layers})")
    training = load_dataset(args.training_data).subset("Training")
    neutral_faces = preprocess_faces(list(training.faces[training.labels == EMOTIONS.index("neutral")][:NEUTRAL_FACES]))
    for name in args.data:
        photos = read_photos(photo_folder(name))
        crops, found = served_crops(photos, args.photo_side)
        readings = KerasMirrorClassifier(args.net).predict(crops)
        readings = [reading if ok else None for reading, ok in zip(readings, found)]
        baselines = leave_one_out_baselines(photos, readings)
        subset = [index for index, baseline in enumerate(baselines) if baseline is not None]
        others = other_resting_photos(photos, found)  # the photos each baseline was made of
        labels = [photos[index][1] for index in subset]
        print(f"{name}: {len(photos)} photos, {len(subset)} with another neutral photo of their person")
        served = calibrated_readings(readings, baselines)
        print(format_scores("  served calibration", scores(labels, [served[index] for index in subset])))
        for layer in args.layers.split(","):
            features_of, rest = split_at(model, layer)
            views = [crops, crops[:, :, ::-1]]  # the face and its mirror, as served
            features = [features_of(view) for view in views]
            population = np.mean(
                [features_of(view).mean(axis=0) for view in (neutral_faces, neutral_faces[:, :, ::-1])], axis=0
            )
            resting = [np.stack([view[others[index]].mean(axis=0) for index in subset]) for view in features]
            for share in [0.0, *shares]:
                moved = np.mean(
                    [rest(view[subset] + share * (population - rests)) for view, rests in zip(features, resting)],
                    axis=0,
                )
                moved = [reading if found[index] else None for index, reading in zip(subset, moved)]
                print(format_scores(f"  {layer}, share {share:g}", scores(labels, moved)), flush=True)


if __name__ == "__main__":
    main()
