"""LruDict: the bounded mapping behind the licence cache and the re-check list."""

from __future__ import annotations

import pytest

from pixpress.quota.lru import LruDict


def test_the_least_recently_used_entry_goes_first() -> None:
    lru: LruDict[str, int] = LruDict(max_entries=2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "b" is now the oldest
    lru.put("c", 3)
    assert lru.snapshot() == {"a": 1, "c": 3}
    lru.put("a", 10)  # an update refreshes too
    lru.put("d", 4)
    assert lru.snapshot() == {"a": 10, "d": 4} and len(lru) == 2


def test_discard_where() -> None:
    lru: LruDict[str, int] = LruDict(max_entries=10)
    for i in range(5):
        lru.put(str(i), i)
    lru.discard_where(lambda _key, value: value % 2 == 1)
    assert lru.snapshot() == {"0": 0, "2": 2, "4": 4}
    assert "1" not in lru and lru.get("1") is None


def test_a_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LruDict(max_entries=0)
