"""Avatar rendering: SVG (target ≤ 5 ms) and 512 px PNG (target ≤ 25 ms), cold (cache cleared) and warm.

python bench/rendering_speed.py [--repeat 50]
"""

import argparse

from common import median_ms

from avatars import rendering
from avatars.presets import preset


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    look = preset("male") | {"accessory": "WAYFARERS", "facial_hair": "BEARD_MEDIUM"}

    def cold_svg():
        rendering._svg.cache_clear()
        rendering.render_svg(look, "happy")

    def cold_png():
        rendering._svg.cache_clear()
        rendering._png.cache_clear()
        rendering.render_png(look, "happy", 512)

    print(f"svg  cold: median {median_ms(cold_svg, args.repeat):.2f} ms")
    print(f"svg  warm: median {median_ms(lambda: rendering.render_svg(look, 'happy'), args.repeat):.4f} ms")
    print(f"png512 cold: median {median_ms(cold_png, args.repeat):.2f} ms")
    print(f"png512 warm: median {median_ms(lambda: rendering.render_png(look, 'happy', 512), args.repeat):.4f} ms")


if __name__ == "__main__":
    main()
