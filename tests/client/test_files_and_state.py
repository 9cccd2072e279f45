from pathlib import Path

from pixpress.client.files import find_images, image_kind
from pixpress.client.outputs import OutputPlan, backup_path, replace_keeping_backup
from pixpress.client.state import StateFile, fingerprint


def test_images_are_found_by_content_not_name(tmp_path: Path, corpus: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "photo.dat").write_bytes((corpus / "photo" / "rocket.jpg").read_bytes())
    (tmp_path / "fake.png").write_text("<html>not an image</html>")
    (tmp_path / "logo.png").write_bytes((corpus / "graphic" / "logo.png").read_bytes())
    (tmp_path / "logo.orig.png").write_bytes((corpus / "graphic" / "logo.png").read_bytes())
    found = [p.relative_to(tmp_path).as_posix() for p in find_images([tmp_path])]
    assert found == ["logo.png", "sub/photo.dat"]
    assert image_kind(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert image_kind(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00") == "avif"
    assert image_kind(b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00") is None


def test_state_survives_a_restart_and_notices_changes(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nfirst")
    state = StateFile(tmp_path / "state.json")
    state.mark_done(image, source=fingerprint(image), task_id="t")
    assert StateFile(tmp_path / "state.json").is_done(image)
    image.write_bytes(b"\x89PNG\r\n\x1a\nchanged")
    assert not StateFile(tmp_path / "state.json").is_done(image)


def test_in_place_keeps_one_backup(tmp_path: Path) -> None:
    image = tmp_path / "photo.jpg"
    image.write_bytes(b"original")
    replace_keeping_backup(image, b"smaller")
    replace_keeping_backup(image, b"smallest")
    assert image.read_bytes() == b"smallest"
    assert backup_path(image).read_bytes() == b"original"


def test_output_dir_mirrors_folders_and_changes_extension(tmp_path: Path) -> None:
    plan = OutputPlan(output_dir=tmp_path / "out")
    root = tmp_path / "media"
    assert plan.target(root / "2024" / "a.png", root, "png") == tmp_path / "out" / "2024" / "a.png"
    assert plan.target(root / "b.png", root, "webp") == tmp_path / "out" / "b.webp"
    assert plan.target(root / "c.jpeg", root, "jpeg") == tmp_path / "out" / "c.jpeg"
