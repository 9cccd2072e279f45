"""The in-memory fake: what it stores cannot change behind its back."""

from __future__ import annotations

from typing import cast

from pixpress.storage.memory import MemoryStorage


def test_a_mutable_buffer_is_copied_on_put() -> None:
    storage = MemoryStorage()
    buffer = bytearray(b"original")
    storage.put("ab/task/input", cast(bytes, buffer))  # a caller may hand in a buffer it reuses
    buffer[:] = b"changed!"
    assert storage.get("ab/task/input") == b"original"


def test_each_instance_is_its_own_store() -> None:
    first, second = MemoryStorage(), MemoryStorage()
    first.put("k", b"1")
    assert not second.exists("k")
