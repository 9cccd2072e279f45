"""Which files a bulk run sends: images found by their first bytes, never by their names."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

BACKUP_MARKER = ".orig"
HEAD_BYTES = 64
KINDS = frozenset({"jpeg", "png", "webp", "gif", "avif"})


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
    if head[4:8] == b"ftyp" and _brands(head) & {b"avif", b"avis"}:
        return "avif"
    return None


def _brands(head: bytes) -> set[bytes]:
    """The major and compatible brands of an ISO-BMFF `ftyp` box (HEIF/AVIF)."""
    end = min(int.from_bytes(head[:4], "big"), len(head))
    brands = {head[8:12]}
    brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
    return brands


def find_images(
    paths: Iterable[Path], *, skip: Iterable[Path] = (), kinds: Iterable[str] = KINDS
) -> Iterator[Path]:
    """Files given and files under folders given (recursively) that are images of `kinds`, in a stable
    order. Hidden files and folders, backups (NAME.orig.EXT) and `skip` (files or folders) are left out."""
    wanted = frozenset(kinds)
    skipped = {p.resolve() for p in skip}
    seen: set[Path] = set()
    for path in paths:
        candidates = [path] if path.is_file() else sorted(_walk(path))
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved in seen or BACKUP_MARKER + "." in candidate.name:
                continue
            if resolved in skipped or not skipped.isdisjoint(resolved.parents):
                continue
            seen.add(resolved)
            try:
                with candidate.open("rb") as handle:
                    kind = image_kind(handle.read(HEAD_BYTES))
            except OSError:
                continue
            if kind in wanted:
                yield candidate


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if not name.startswith("."):
                yield Path(root) / name
