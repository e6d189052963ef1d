"""One 48×48 face classified in-process after warm-up, with the served mirror TTA (target ≤ 2 ms).

    python bench/model_speed.py [--repeat 500]
"""
import argparse

import numpy as np

from common import median_ms

from ml.inference import EmotionClassifier


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=500)
    args = parser.parse_args()
    classifier = EmotionClassifier()
    for count in (1, 4):
        faces = np.random.default_rng(0).random((count, 48, 48, 1), dtype=np.float32)
        print(f"classify {count} face(s): median {median_ms(lambda: classifier.predict(faces), args.repeat, 20):.2f} ms "
              f"over {args.repeat} runs")


if __name__ == "__main__":
    main()
