"""Where a bulk run writes results: in place (keeping a backup), to a folder, or as siblings."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pixpress.client.files import BACKUP_MARKER

EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "avif": ".avif", "gif": ".gif"}


@dataclass(frozen=True)
class OutputPlan:
    in_place: bool = False
    output_dir: Path | None = None
    siblings: tuple[str, ...] = ()  # e.g. ("webp", "avif")

    def describe(self) -> str:
        if self.siblings:
            return f"siblings ({', '.join(self.siblings)}) next to the originals"
        if self.in_place:
            return "in place, originals kept as NAME.orig.EXT"
        return f"into {self.output_dir}"

    def target(self, source: Path, root: Path | None, fmt: str | None) -> Path:
        """Where the result of `source` (in format `fmt`) goes."""
        if self.in_place:
            return source
        assert self.output_dir is not None
        # abspath, not resolve: a symlink inside the root keeps its place in the layout
        relative = _absolute(source).relative_to(_absolute(root)) if root is not None else Path(source.name)
        destination = self.output_dir / relative
        return destination.with_suffix(EXTENSIONS[fmt]) if fmt and fmt not in _same(source) else destination

    @staticmethod
    def sibling(source: Path, fmt: str) -> Path:
        return source.with_suffix(EXTENSIONS[fmt])


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _same(source: Path) -> set[str]:
    suffix = source.suffix.lower()
    return {fmt for fmt, ext in EXTENSIONS.items() if ext == suffix or (fmt == "jpeg" and suffix == ".jpeg")}


def backup_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}{BACKUP_MARKER}{source.suffix}")


def write_atomically(destination: Path, data: bytes) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=destination.parent, prefix=".pixpress-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_keeping_backup(source: Path, data: bytes) -> Path:
    backup = backup_path(source)
    if not backup.exists():
        shutil.copy2(source, backup)
    write_atomically(source, data)
    return backup
