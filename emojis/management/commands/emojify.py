"""python manage.py emojify IN [IN ...] --out DIR [--avatar ID] [--format png|jpeg]

Emojifies photos in batch: every face replaced by the avatar wearing that face's emotion. Folders are read
one level deep. Unreadable files are reported and skipped; the exit status is 1 if any were.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import cv2
from django.core.management.base import BaseCommand, CommandError

from recognition.images import ImageInputError, decode_image

from ...compose import emojify_image
from ..avatar_option import add_avatar_argument, look_of

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def expand(inputs: list[str]) -> list[Path]:
    files = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            files += sorted(child for child in path.iterdir() if child.suffix.lower() in IMAGE_SUFFIXES)
        else:
            files.append(path)
    return files


def progress_bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // max(total, 1)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


class Command(BaseCommand):
    help = "Replace every face in photos with the avatar wearing that face's emotion."

    def add_arguments(self, parser):
        parser.add_argument("inputs", nargs="+", metavar="IN", help="image files or folders of images")
        parser.add_argument("--out", required=True, help="folder for the emojified pictures (created if needed)")
        add_avatar_argument(parser)
        parser.add_argument("--format", choices=["png", "jpeg"], default="png")

    def handle(self, *args, inputs, out, avatar, format, **options):
        look = look_of(avatar)
        files = expand(inputs)
        if not files:
            raise CommandError("no image files found in the inputs")
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        extension = ".png" if format == "png" else ".jpg"
        emotions, faces, failures = Counter(), 0, []
        for done, path in enumerate(files, start=1):
            try:
                image = decode_image(path.read_bytes())
            except (OSError, ImageInputError) as error:
                failures.append(path)
                self.stderr.write(f"\n{path}: {error}")
            else:
                result = emojify_image(image, look)
                cv2.imwrite(str(out_dir / f"{path.stem}-emojified{extension}"), result.image)
                faces += len(result.replaced)
                emotions.update(result.emotions)
            self.stderr.write(f"\r{progress_bar(done, len(files))} {path.name[:40]:<40}", ending="")
        self.stderr.write("")
        summary = ", ".join(f"{emotion} {count}" for emotion, count in emotions.most_common()) or "none"
        self.stdout.write(
            f"files={len(files) - len(failures)} failed={len(failures)} faces={faces} emotions: {summary}"
        )
        if failures:
            sys.exit(1)
