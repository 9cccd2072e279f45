"""Picking files by content, the resume state, and where outputs go."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import pixpress.client.state as state_module
from pixpress.client.files import find_images, image_kind
from pixpress.client.outputs import OutputPlan, backup_path, replace_keeping_backup, write_atomically
from pixpress.client.state import StateFile, StateFileError, fingerprint, output_facts


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00\x00\x00\x08mdat"


def test_kinds_come_from_the_magic_bytes() -> None:
    assert image_kind(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "jpeg"
    assert image_kind(b"\x89PNG\r\n\x1a\n\x00\x00") == "png"
    assert image_kind(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert image_kind(b"GIF89a\x01\x00") == "gif" and image_kind(b"GIF87a") == "gif"
    assert image_kind(ftyp(b"avif", b"mif1", b"avif")) == "avif"
    assert image_kind(ftyp(b"mif1", b"mif1", b"miaf", b"MA1B", b"avif")) == "avif"  # avif as compatible
    assert image_kind(ftyp(b"avis", b"avis", b"msf1")) == "avif"  # an AVIF sequence
    assert image_kind(ftyp(b"heic", b"mif1", b"heic")) is None
    assert image_kind(ftyp(b"isom", b"isom", b"avc1")) is None  # an MP4 video
    for other in (b"", b"<svg xmlns=", b"II*\x00", b"BM6\x00", b"%PDF-1.7", b"RIFF\x00\x00\x00\x00WAVE"):
        assert image_kind(other) is None


def test_images_are_found_by_content_not_name(tmp_path: Path, corpus: Path) -> None:
    (tmp_path / "sub" / ".hidden").mkdir(parents=True)
    (tmp_path / "sub" / "photo.dat").write_bytes((corpus / "photo" / "rocket.jpg").read_bytes())
    (tmp_path / "sub" / ".hidden" / "x.png").write_bytes((corpus / "graphic" / "logo.png").read_bytes())
    (tmp_path / "fake.png").write_text("<html>not an image</html>")
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "logo.png").write_bytes((corpus / "graphic" / "logo.png").read_bytes())
    (tmp_path / "logo.orig.png").write_bytes((corpus / "graphic" / "logo.png").read_bytes())
    (tmp_path / "anim.gif").write_bytes(b"GIF89a" + b"\x00" * 20)
    found = [p.relative_to(tmp_path).as_posix() for p in find_images([tmp_path])]
    assert found == ["anim.gif", "logo.png", "sub/photo.dat"]
    only_png = [p.name for p in find_images([tmp_path], kinds={"png"}, skip=[tmp_path / "sub"])]
    assert only_png == ["logo.png"]
    # a file named twice (directly and through its folder) is found once
    assert len(list(find_images([tmp_path / "logo.png", tmp_path]))) == 3


def test_state_survives_a_restart_and_notices_changes(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nfirst")
    state = StateFile(tmp_path / "state.json")
    state.mark_done(image, source=fingerprint(image), job="j1", task_id="t")
    reloaded = StateFile(tmp_path / "state.json")
    assert reloaded.is_done(image, job="j1")
    assert not reloaded.is_done(image, job="j2")  # other options or another output: send again
    image.write_bytes(b"\x89PNG\r\n\x1a\nchanged")
    assert not StateFile(tmp_path / "state.json").is_done(image, job="j1")
    assert not StateFile(tmp_path / "state.json").is_done(tmp_path / "b.png", job="j1")


def test_an_unchanged_file_is_recognised_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nfirst")
    state = StateFile(tmp_path / "state.json")
    state.mark_done(image, source=fingerprint(image), job="j")
    hashed: list[Path] = []

    def counting(path: Path) -> dict[str, object]:
        hashed.append(path)
        return fingerprint(path)

    monkeypatch.setattr(state_module, "fingerprint", counting)
    assert state.is_done(image, job="j") and hashed == []  # same size and mtime: no read
    touched = image.stat().st_mtime_ns + 5_000_000_000
    os.utime(image, ns=(touched, touched))  # touched, same content: the sha256 still says done
    assert state.is_done(image, job="j") and hashed == [image]


def test_a_file_optimized_in_place_counts_as_done(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\noriginal bytes")
    source = fingerprint(image)
    replace_keeping_backup(image, b"\x89PNG\r\n\x1a\nsmall")
    state = StateFile(tmp_path / "state.json")
    state.mark_done(image, source=source, job="j", **output_facts(image, image.read_bytes()))
    assert StateFile(tmp_path / "state.json").is_done(image, job="j")
    backup_path(image).replace(image)  # the original restored by hand: done too (same content)
    assert StateFile(tmp_path / "state.json").is_done(image, job="j")


def test_the_state_file_is_plain_json_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    state = StateFile(tmp_path / "state.json")
    state.mark_done(image, source=fingerprint(image), job="j", outputs=["/out/a.png"])
    document = json.loads((tmp_path / "state.json").read_text())
    entry = document["done"][str(image.resolve())]["j"]
    assert document["version"] == 2 and entry["size"] == 8 and len(entry["sha256"]) == 64
    assert state.outputs() == {Path("/out/a.png")}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "state.json"]  # no temp file left
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(StateFileError):
        StateFile(tmp_path / "state.json")


def test_in_place_keeps_one_backup(tmp_path: Path) -> None:
    image = tmp_path / "photo.jpg"
    image.write_bytes(b"original")
    replace_keeping_backup(image, b"smaller")
    replace_keeping_backup(image, b"smallest")
    assert image.read_bytes() == b"smallest"
    assert backup_path(image).read_bytes() == b"original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg", "photo.orig.jpg"]  # no temp left


def test_output_dir_mirrors_folders_and_changes_extension(tmp_path: Path) -> None:
    plan = OutputPlan(output_dir=tmp_path / "out")
    root = tmp_path / "media"
    assert plan.target(root / "2024" / "a.png", root, "png") == tmp_path / "out" / "2024" / "a.png"
    assert plan.target(root / "b.png", root, "webp") == tmp_path / "out" / "b.webp"
    assert plan.target(root / "c.jpeg", root, "jpeg") == tmp_path / "out" / "c.jpeg"
    assert plan.target(root / "x" / ".." / "d.png", root, "png") == tmp_path / "out" / "d.png"
    assert OutputPlan.sibling(root / "e.jpg", "avif") == root / "e.avif"


def test_results_keep_the_permissions_a_web_server_needs(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        image = tmp_path / "photo.jpg"
        image.write_bytes(b"original")
        image.chmod(0o640)
        replace_keeping_backup(image, b"smaller")
        assert image.stat().st_mode & 0o777 == 0o640  # as it was, not a temp file's 0600
        new = tmp_path / "out" / "photo.webp"
        write_atomically(new, b"webp")
        assert new.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old_umask)
