"""Where a bulk run writes results: in place (keeping a backup), to a folder, or as siblings."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
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

    @staticmethod
    def size_file(output: Path, name: str, fmt: str) -> Path:
        """Where a size (--sizes) of `output` goes: next to it, as photo-thumbnail.jpg."""
        return output.with_name(f"{output.stem}-{name}{EXTENSIONS.get(fmt, '.' + fmt)}")

    def outputs_of(self, source: Path, root: Path | None, fmt: str | None) -> list[Path]:
        """Every file the result of `source` will be written to (`fmt` None: as the source's name)."""
        if self.siblings:
            return [self.sibling(source, each) for each in self.siblings]
        return [self.target(source, root, fmt)]

    def clashes(self, files: list[Path], roots: dict[Path, Path], fmt: str | None) -> dict[Path, str]:
        """Files whose output would overwrite an earlier file's (photo.jpg and photo.png both making
        photo.webp): file -> why. The first one found keeps the name."""
        claimed: dict[Path, Path] = {}
        found: dict[Path, str] = {}
        for source in files:
            outputs = [_absolute(p) for p in self.outputs_of(source, roots.get(source), fmt)]
            taken = next((p for p in outputs if p in claimed), None)
            if taken is not None:
                found[source] = f"not sent: its output {taken} would overwrite the one of {claimed[taken]}"
                continue
            claimed.update((p, source) for p in outputs)
        return found


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _same(source: Path) -> set[str]:
    suffix = source.suffix.lower()
    return {fmt for fmt, ext in EXTENSIONS.items() if ext == suffix or (fmt == "jpeg" and suffix == ".jpeg")}


def backup_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}{BACKUP_MARKER}{source.suffix}")


def write_atomically(destination: Path, data: bytes) -> None:
    """Write through a temporary file and a rename: a reader never sees half a file. A replaced file
    keeps its permissions (and owner, when allowed); a new one gets the usual ones (0666 minus umask),
    so a web server can still read what it served before."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(f".pixpress-{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if destination.exists():
            _copy_owner_and_mode(destination, tmp)
        os.replace(tmp, destination)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def replace_keeping_backup(source: Path, data: bytes) -> Path:
    """In place: the first original is kept as NAME.orig.EXT (never overwritten by a later run)."""
    backup = backup_path(source)
    if not backup.exists():
        shutil.copy2(source, backup)
    write_atomically(source, data)
    return backup


def _copy_owner_and_mode(original: Path, new: Path) -> None:
    stat = original.stat()
    shutil.copymode(original, new)
    if (stat.st_uid, stat.st_gid) != (os.getuid(), os.getgid()):
        with contextlib.suppress(PermissionError):  # only root (or the owner, for the group) may
            os.chown(new, stat.st_uid, stat.st_gid)
