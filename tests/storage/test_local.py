"""What only the local-directory backend has to get right: its root, atomic writes, tidy folders."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from pixpress.storage import BlobNotFound
from pixpress.storage.base import CHUNK_BYTES
from pixpress.storage.local import LocalStorage

KEY = "ab/abcdef/input"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def storage(root: Path) -> LocalStorage:
    return LocalStorage(root)


@pytest.mark.parametrize("key", ["../escape", "ab/../../escape", "ab/cd/../../../escape", "/tmp/escape"])
def test_keys_escaping_the_root_are_refused_by_every_call(
    storage: LocalStorage, tmp_path: Path, key: str
) -> None:
    with pytest.raises(ValueError, match="escapes the storage root"):
        storage.put(key, b"x")
    with pytest.raises(ValueError, match="escapes the storage root"):
        storage.get(key)
    with pytest.raises(ValueError, match="escapes the storage root"):
        storage.open(key)
    with pytest.raises(ValueError, match="escapes the storage root"):
        storage.exists(key)
    with pytest.raises(ValueError, match="escapes the storage root"):
        storage.delete(key)
    assert not (tmp_path / "escape").exists()


def test_a_symlink_out_of_the_root_is_refused(storage: LocalStorage, root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"not yours")
    (root / "ab").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError):
        storage.get("ab/secret")
    with pytest.raises(ValueError):
        storage.put("ab/new", b"x")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


def test_dot_segments_inside_the_root_are_allowed(storage: LocalStorage, root: Path) -> None:
    storage.put("ab/cd/../ef", b"data")
    assert (root / "ab" / "ef").read_bytes() == b"data"


def test_put_leaves_only_the_blob(storage: LocalStorage, root: Path) -> None:
    storage.put(KEY, b"first")
    storage.put(KEY, b"second")
    assert [p.name for p in (root / "ab" / "abcdef").iterdir()] == ["input"]
    assert (root / KEY).read_bytes() == b"second"


def test_a_failed_write_keeps_the_old_blob_and_no_temporary_file(
    storage: LocalStorage, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage.put(KEY, b"old and whole")

    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        storage.put(KEY, b"new" * 1000)
    monkeypatch.undo()

    assert storage.get(KEY) == b"old and whole"
    assert [p.name for p in (root / "ab" / "abcdef").iterdir()] == ["input"]


def test_a_write_interrupted_before_the_rename_publishes_nothing(
    storage: LocalStorage, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between writing and renaming (here: the rename raising) leaves no blob behind."""

    def crash(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        storage.put(KEY, b"half")
    monkeypatch.undo()

    assert not storage.exists(KEY)
    with pytest.raises(BlobNotFound):
        storage.get(KEY)
    assert list((root / "ab" / "abcdef").iterdir()) == []


def test_missing_key_raises_blob_not_found_which_is_a_key_error(storage: LocalStorage) -> None:
    with pytest.raises(BlobNotFound) as caught:
        storage.get(KEY)
    assert isinstance(caught.value, KeyError)
    assert caught.value.args == (KEY,)


def test_deleting_a_missing_key_is_fine(storage: LocalStorage, root: Path) -> None:
    storage.delete(KEY)
    storage.delete("never/seen/folder/blob")
    assert list(root.iterdir()) == []


def test_delete_tidies_the_empty_task_folder_only(storage: LocalStorage, root: Path) -> None:
    storage.put("ab/task-1/input", b"1")
    storage.put("ab/task-1/result-1.png", b"2")
    storage.delete("ab/task-1/input")
    assert (root / "ab" / "task-1").is_dir()  # the result is still there
    storage.delete("ab/task-1/result-1.png")
    assert not (root / "ab" / "task-1").exists()


def test_the_root_is_created_and_ping_leaves_it_clean(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "deep" / "root")
    storage.ping()
    assert list((tmp_path / "deep" / "root").iterdir()) == []


def test_ping_fails_when_the_root_is_gone(storage: LocalStorage, root: Path) -> None:
    root.rmdir()
    root.write_bytes(b"a file where the folder was")
    with pytest.raises(OSError):
        storage.ping()


def test_a_stream_holds_one_open_file_and_releases_it(storage: LocalStorage) -> None:
    storage.put("ab/task/result-1.png", b"x" * (3 * CHUNK_BYTES))
    before = len(os.listdir("/proc/self/fd"))
    stream = storage.open("ab/task/result-1.png")
    assert len(os.listdir("/proc/self/fd")) == before + 1
    storage.delete("ab/task/result-1.png")  # expiry while a download runs: it still gets the whole file
    assert sum(len(chunk) for chunk in stream) == 3 * CHUNK_BYTES
    assert len(os.listdir("/proc/self/fd")) == before
