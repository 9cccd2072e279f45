"""Which files a bulk run sends: images found by their first bytes, never by their names."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

BACKUP_MARKER = ".orig"


def image_kind(head: bytes) -> str | None:
    """jpeg | png | webp | gif | avif from the magic bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp" and (b"avif" in head[8:32] or b"avis" in head[8:32]):
        return "avif"
    return None


def find_images(paths: Iterable[Path], *, skip: Iterable[Path] = ()) -> Iterator[Path]:
    """Files given and files under folders given (recursively), that are images, in a stable order."""
    skipped = {p.resolve() for p in skip}
    seen: set[Path] = set()
    for path in paths:
        candidates = [path] if path.is_file() else sorted(_walk(path))
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved in seen or resolved in skipped or BACKUP_MARKER + "." in candidate.name:
                continue
            seen.add(resolved)
            try:
                with candidate.open("rb") as handle:
                    kind = image_kind(handle.read(32))
            except OSError:
                continue
            if kind is not None:
                yield candidate


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if not name.startswith("."):
                yield Path(root) / name
