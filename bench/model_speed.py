"""One 48×48 face classified in-process after warm-up, with the served mirror TTA (target ≤ 2 ms).

    python bench/model_speed.py [--repeat 500] [--weights PATH]

Times the dtype policy the site serves in on this CPU and, as its peer, the other one, in alternating
rounds: a shared host's speed drifts within seconds, so only interleaved timings compare fairly.
"""
import argparse
import statistics

import numpy as np

from common import timings_ms

from ml.inference import EmotionClassifier
from ml.model import fastest_compute_policy

ROUNDS = 10


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=500, help="timed calls per policy and batch size")
    parser.add_argument("--weights", default=None, help="a .keras file (default: the shipped weights)")
    args = parser.parse_args()
    served = fastest_compute_policy()
    peer = "float32" if served == "mixed_bfloat16" else "mixed_bfloat16"
    classifiers = {policy: EmotionClassifier(args.weights, policy=policy) for policy in (served, peer)}
    print(f"{classifiers[served].weights.name}: {classifiers[served].model.count_params():,} parameters")
    for count in (1, 4):
        faces = np.random.default_rng(0).random((count, 48, 48, 1), dtype=np.float32)
        timings = {policy: [] for policy in classifiers}
        for _ in range(ROUNDS):
            for policy, classifier in classifiers.items():
                timings[policy] += timings_ms(lambda: classifier.predict(faces), args.repeat // ROUNDS, 5)
        for policy, values in timings.items():
            role = "served on this CPU" if policy == served else "peer"
            print(f"classify {count} face(s), {policy} ({role}): median {statistics.median(values):.2f} ms "
                  f"over {len(values)} runs")


if __name__ == "__main__":
    main()
