"""Animated emoji: a 3-s recording at 10 readings a second, 512 px (targets: ≤ 1 s warm, ≤ 1.5 s cold; WebP
≤ 500 KB).

    python bench/animation_speed.py [--repeat 10]

The readings imitate a recording from the generate page: neutral, a smile, a surprise, the smile again, each
reading the 7 probabilities of a noisy face (plus one odd reading). Warm: the per-expression renders are in
avatars.rendering's cache, as after the page's live preview; cold: that cache cleared before every run.
"""

import argparse
import json

import numpy as np
from common import median_ms, setup_django

SCRIPT = (("neutral", 0.8), ("happy", 1.2), ("surprise", 0.6), ("happy", 0.4))
READINGS_PER_SECOND = 10


def recorded_readings(seed: int = 0) -> list[dict]:
    from ml.labels import EMOTIONS

    rng = np.random.default_rng(seed)
    frames, t = [], 0.0
    for emotion, seconds in SCRIPT:
        for _ in range(round(seconds * READINGS_PER_SECOND)):
            probabilities = rng.dirichlet(np.ones(len(EMOTIONS)) * 0.5) * 0.4
            probabilities[EMOTIONS.index(emotion)] += 0.6
            if len(frames) == 13:  # one odd reading, which smoothing must hide
                probabilities = np.roll(probabilities, 2)
            frames.append({"t": round(t, 3), "probabilities": dict(zip(EMOTIONS, np.round(probabilities, 4).tolist()))})
            t += 1 / READINGS_PER_SECOND
    return frames


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    setup_django()
    from django.test import Client

    from avatars import animation, rendering
    from avatars.presets import preset

    look = preset("male") | {"accessory": "WAYFARERS", "facial_hair": "BEARD_MEDIUM"}
    frames = recorded_readings()
    readings = animation.parse_sequence(frames)
    timeline = animation.timeline(readings)
    print(
        f"{len(frames)} readings over {animation.sequence_end([r.t for r in readings]):.1f} s -> "
        f"{len(timeline)} frames ({', '.join(sorted({f.start for f in timeline}))})"
    )

    def cold(file_format):
        def run():
            rendering._svg.cache_clear()
            rendering._png.cache_clear()
            animation.animate(look, readings, file_format, 512)

        return run

    for file_format in animation.FORMATS:
        data = animation.animate(look, readings, file_format, 512)
        print(
            f"{file_format} 512: {len(data) / 1024:.0f} KB; warm median "
            f"{median_ms(lambda: animation.animate(look, readings, file_format, 512), args.repeat):.0f} ms, "
            f"cold median {median_ms(cold(file_format), args.repeat, warmup=1):.0f} ms"
        )

    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host: this is not the test runner
    body = json.dumps({"look": look, "frames": frames, "format": "webp"})
    assert client.post("/api/animation", body, content_type="application/json").status_code == 200

    def through_django():
        client.post("/api/animation", body, content_type="application/json")

    print(f"POST /api/animation webp 512, warm: median {median_ms(through_django, args.repeat):.0f} ms")


if __name__ == "__main__":
    main()
