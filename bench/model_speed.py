"""One 48×48 face classified in-process after warm-up, with the served mirror TTA (target ≤ 2 ms).

    python bench/model_speed.py [--repeat 500] [--threads 0] [--weights PATH]

Times the served classifier (int8 weights, the exported .tflite through the LiteRT runtime) and, as its peers, the
TensorFlow graph it replaced in float32 and in bfloat16, in alternating rounds: a shared host's speed drifts within
seconds, so only interleaved timings compare fairly. --threads 1 is what the web process uses (EMOJIFY_TF_THREADS).
"""

import argparse
import statistics

import numpy as np
import tensorflow as tf
from common import timings_ms

from ml.inference import PRECISIONS, SERVED_PRECISION, EmotionClassifier

ROUNDS = 10


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=500, help="timed calls per precision and batch size")
    parser.add_argument("--threads", type=int, default=0, help="cores one call may use (0: all)")
    parser.add_argument("--weights", default=None, help="a .keras file (default: the shipped weights)")
    args = parser.parse_args()
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    classifiers = {
        precision: EmotionClassifier(args.weights, precision=precision, threads=args.threads)
        for precision in PRECISIONS
    }
    print(f"{classifiers[SERVED_PRECISION].weights.name}, {args.threads or 'all'} thread(s)")
    for count in (1, 4):
        faces = np.random.default_rng(0).random((count, 48, 48, 1), dtype=np.float32)
        timings = {precision: [] for precision in classifiers}
        for _ in range(ROUNDS):
            for precision, classifier in classifiers.items():
                timings[precision] += timings_ms(lambda: classifier.predict(faces), args.repeat // ROUNDS, 5)
        for precision, values in timings.items():
            served = precision == SERVED_PRECISION
            role = "served: LiteRT, int8 weights" if served else "peer: TensorFlow graph"
            print(
                f"classify {count} face(s), {precision} ({role}): median {statistics.median(values):.2f} ms "
                f"over {len(values)} runs"
            )


if __name__ == "__main__":
    main()
