"""POST /api/emotion with big uploads through Django (target: no accepted image over ~100 ms): photo-sized
JPEGs, read shrunk while decoded, and PNGs up to a phone screenshot's size, shrunk after decoding; the
7999×5000 PNG is refused (413).

    python bench/big_images_speed.py [--repeat 15]
"""

import argparse
import io
import logging
import statistics
import time

from common import timings_ms, warm_client


def upload(picture, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format, **options)
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    client = warm_client()
    from testkit.images import big_picture

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 413s are expected here
    cases = {
        "JPEG 7999×5000": (upload(big_picture(), "JPEG", quality=90), 200),
        "JPEG 4032×3024 (phone)": (upload(big_picture(4032, 3024), "JPEG", quality=90), 200),
        "PNG 1920×1080": (upload(big_picture(1920, 1080), "PNG"), 200),
        "PNG 1440×3200 (phone screenshot, largest read)": (upload(big_picture(1440, 3200), "PNG"), 200),
        "PNG 2560×1920 (refused)": (upload(big_picture(2560, 1920), "PNG"), 413),
        "PNG 7999×5000 (refused)": (upload(big_picture(), "PNG"), 413),
    }
    for name, (data, status) in cases.items():

        def post():
            response = client.post("/api/emotion", {"image": io.BytesIO(data)})
            assert response.status_code == status, response.content[:200]

        cpu = []

        def timed_post():
            started = time.process_time()
            post()
            cpu.append((time.process_time() - started) * 1000)

        timings = timings_ms(timed_post, args.repeat, warmup=2)
        # CPU time too: on a shared host the wall time also counts the waits for a core.
        print(
            f"{name:<30} {len(data) / 1e6:5.1f} MB  wall p50 {statistics.median(timings):6.1f} ms "
            f"(max {max(timings):6.1f})   CPU p50 {statistics.median(cpu[2:]):6.1f} ms   → {status}"
        )


if __name__ == "__main__":
    main()
