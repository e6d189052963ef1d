"""python manage.py animate --emotions happy:1,surprise:1,happy:1 --out FILE [--avatar ID] [--size 512]

A scripted animated emoji: each emotion for its seconds, in order, smoothed and cross-faded as the API does
(avatars.animation). The file's extension picks the format: .webp (a 512×512 WhatsApp sticker) or .gif.
The last line is `wrote FILE: N frames, S s, K KB`.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from PIL import Image

from avatars import animation

from ..avatar_option import add_avatar_argument, look_of


class Command(BaseCommand):
    help = "Write an animated emoji (WebP sticker or GIF) of an avatar acting out a scripted emotion sequence."

    def add_arguments(self, parser):
        parser.add_argument(
            "--emotions",
            required=True,
            metavar="EMOTION:SECONDS,…",
            help="e.g. happy:1,surprise:1,happy:1 (at most 10 s in all)",
        )
        parser.add_argument("--out", required=True, metavar="FILE", help="the .webp or .gif file to write")
        add_avatar_argument(parser)
        parser.add_argument(
            "--size",
            type=int,
            default=animation.WHATSAPP_SIZE,
            help=f"GIF width and height, {animation.SIZES[0]}–{animation.SIZES[1]} "
            f"(WebP stickers are {animation.WHATSAPP_SIZE})",
        )

    def handle(self, *args, emotions, out, avatar, size, **options):
        path = Path(out)
        file_format = path.suffix.lower().lstrip(".")
        if file_format not in animation.FORMATS:
            raise CommandError(f"--out must end in .webp or .gif, not {path.name!r}")
        try:
            readings = animation.scripted_sequence(emotions)
            data = animation.animate(look_of(avatar), readings, file_format, size)
        except ValueError as error:  # a SequenceError or a size out of bounds
            raise CommandError(str(error)) from None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        image = Image.open(io.BytesIO(data))
        seconds = animation.sequence_end([reading.t for reading in readings]) - readings[0].t
        self.stdout.write(f"wrote {path}: {image.n_frames} frames, {seconds:.2f} s, {len(data) / 1024:.0f} KB")
