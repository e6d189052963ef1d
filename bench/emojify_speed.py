"""POST /api/emojify: a 1280×720 photo with 3 faces, server time through Django (target ≤ 80 ms median).

python bench/emojify_speed.py [--repeat 30]
"""

import argparse
import io

from common import median_ms, warm_client


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    client = warm_client()
    from testkit.images import encode, group_photo

    photo = encode(group_photo(), ".jpg")

    def post():
        upload = io.BytesIO(photo)
        upload.name = "photo.jpg"
        response = client.post("/api/emojify", {"image": upload, "format": "jpeg"})
        assert response["X-Faces"] == "3", response.headers

    print(f"emojify 1280x720, 3 faces, JPEG out: median {median_ms(post, args.repeat):.1f} ms")


if __name__ == "__main__":
    main()
