"""One training step of the emotion CNN (batch 128, Adam with EMA, as ml.train runs it) in float32 and in
bfloat16 mixed precision, each with the fused batch-norm kernel ml.train uses and with Keras's stock layer as
its peer, timed in alternating rounds in one run; says which precision `--precision auto` picks.

    python bench/training_speed.py [--steps 30] [--widths 48,96,192,256,384]
"""

import argparse
import statistics

import keras
import numpy as np
import tensorflow as tf
from common import timings_ms  # (importing common also puts the project on the path, quiets TensorFlow)

from ml.labels import NUM_CLASSES
from ml.model import build_model, fastest_compute_policy

ROUNDS = 5


def compiled_model(policy: str, widths, fused_batch_norm: bool) -> keras.Model:
    keras.mixed_precision.set_global_policy(policy)
    model = build_model(widths=widths, fused_batch_norm=fused_batch_norm)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, use_ema=True, ema_momentum=0.999),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["accuracy"],
    )
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per precision")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--widths", default="48,96,192,256,384")
    args = parser.parse_args()
    widths = tuple(int(width) for width in args.widths.split(","))
    rng = np.random.default_rng(0)
    faces = tf.constant(rng.random((args.batch_size, 48, 48, 1), dtype=np.float32))
    labels = tf.one_hot(rng.integers(0, NUM_CLASSES, args.batch_size), NUM_CLASSES)
    models = {
        (policy, fused): compiled_model(policy, widths, fused)
        for policy in ("float32", "mixed_bfloat16")
        for fused in (True, False)
    }
    timings = {variant: [] for variant in models}
    for model in models.values():
        model.train_on_batch(faces, labels)  # trace and warm up
    for _ in range(ROUNDS):
        for variant, model in models.items():
            timings[variant] += timings_ms(lambda: model.train_on_batch(faces, labels), args.steps // ROUNDS, 0)
    auto = fastest_compute_policy()
    for (policy, fused), values in timings.items():
        print(
            f"{policy}{' (--precision auto here)' if policy == auto else ''}, "
            f"{'fused batch norm (ml.train)' if fused else 'stock Keras batch norm'}: median "
            f"{statistics.median(values):.0f} ms a step of {args.batch_size} over {len(values)} steps"
        )


if __name__ == "__main__":
    main()
