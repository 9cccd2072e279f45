"""Mutations of a seed file, as Hypothesis strategies: byte flips, interesting integers, truncations,
insertions, deletions, duplicated chunks/segments/boxes, corrupted length fields and splices of two
files. Each mutation is a small frozen value (printed in a failing example) that applies to any bytes:
positions are taken modulo the length, units are re-found on the bytes as earlier mutations left them.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from hypothesis import strategies as st

from tests.fuzz.units import Unit, units

# Values that break parsers: zero, one, sign and width edges, and sizes near the 16/32-bit limits.
INTERESTING = (0, 1, 2, 7, 8, 16, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
               0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)  # fmt: skip


@dataclass(frozen=True)
class Flip:
    pos: int
    bit: int

    def apply(self, data: bytes, seeds: Mapping[str, bytes]) -> bytes:
        if not data:
            return data
        i = self.pos % len(data)
        return data[:i] + bytes([data[i] ^ (1 << self.bit)]) + data[i + 1 :]


@dataclass(frozen=True)
class Write:
    """An interesting integer of 1, 2 or 4 bytes written over the data (dimensions, counts, sizes)."""

    pos: int
    value: int
    size: int
    big_endian: bool

    def apply(self, data: bytes, seeds: Mapping[str, bytes]) -> bytes:
        if len(data) < self.size:
            return data
        i = self.pos % (len(data) - self.size + 1)
        return data[:i] + _int(self.value, self.size, self.big_endian) + data[i + self.size :]


@dataclass(frozen=True)
class Truncate:
    keep: int

    def apply(self, data: bytes, seeds: Mapping[str, bytes]) -> bytes:
        return data[: self.keep % (len(data) + 1)]


@dataclass(frozen=True)
class Insert:
    pos: int
    blob: bytes

    def apply(self, data: bytes, seeds: Mapping[str, bytes]) -> bytes:
        i = self.pos % (len(data) + 1)
        return data[:i] + self.blob + data[i:]


@dataclass(frozen=True)
class Delete:
    pos: int
    count: int

    def apply(self, data: bytes, seeds: Mapping[str, bytes]) -> bytes:
        i = self.pos % (len(data) + 1)
        return data[:i] + data[i + self.count :]


@dataclass(frozen=True)
class Duplicate:
    """One unit (chunk, segment, block or box) copied, `times` over, in front of another unit."""

    unit: int
    before: int
    times: int

    def apply(self, data: bytes, seeds: Mapping[str, bytes]) -> bytes:
        found = units(data)
        if not found:
            return data
        source = found[self.unit % len(found)]
        at = found[self.before % len(found)].start
        return data[:at] + data[source.start : source.end] * self.times + data[at:]


@dataclass(frozen=True)
class Length:
    """A unit's length field set to an interesting value, or moved by a small delta."""

    unit: int
    value: int | None  # None: keep the current value and add `delta`
    delta: int

    def apply(self, data: bytes, seeds: Mapping[str, bytes]) -> bytes:
        found = units(data)
        if not found:
            return data
        unit: Unit = found[self.unit % len(found)]
        at, size = unit.length_at, unit.length_size
        if at + size > len(data):
            return data
        current = int.from_bytes(data[at : at + size], "big" if unit.big_endian else "little")
        value = current + self.delta if self.value is None else self.value
        return data[:at] + _int(value, size, unit.big_endian) + data[at + size :]


@dataclass(frozen=True)
class Splice:
    """The head of this file joined to the tail of another seed (any type)."""

    other: str
    cut: int
    other_cut: int

    def apply(self, data: bytes, seeds: Mapping[str, bytes]) -> bytes:
        other = seeds[self.other]
        return data[: self.cut % (len(data) + 1)] + other[self.other_cut % (len(other) + 1) :]


@dataclass(frozen=True)
class FixCrcs:
    """Every PNG chunk's CRC recomputed, so a changed IHDR (dimensions, bit depth, colour type) or
    palette gets past the checksum checks and reaches the decoder proper. A no-op for other types."""

    def apply(self, data: bytes, seeds: Mapping[str, bytes]) -> bytes:
        if not data.startswith(b"\x89PNG"):
            return data
        fixed = bytearray(data)
        for unit in units(data):
            if unit.end - unit.start >= 12:
                crc = zlib.crc32(data[unit.start + 4 : unit.end - 4])
                fixed[unit.end - 4 : unit.end] = crc.to_bytes(4, "big")
        return bytes(fixed)


@dataclass(frozen=True)
class Text:
    """Text metadata named and filled with arbitrary bytes (Latin-1, broken UTF-8), `count` times: PNG
    tEXt, zTXt or iTXt chunks after IHDR (libvips names each field after the keyword), a JPEG COM
    segment after SOI. A no-op for other types."""

    kind: int  # 0 tEXt, 1 zTXt, 2 iTXt
    keyword: bytes
    value: bytes
    count: int

    def apply(self, data: bytes, seeds: Mapping[str, bytes]) -> bytes:
        if data.startswith(b"\x89PNG") and data[12:16] == b"IHDR":
            kind = (b"tEXt", b"zTXt", b"iTXt")[self.kind % 3]
            keyword = self.keyword.replace(b"\x00", b"\xe9")[:79] or b"\xe9"
            body = {
                b"tEXt": b"\x00" + self.value,
                b"zTXt": b"\x00\x00" + zlib.compress(self.value),
                b"iTXt": b"\x00\x00\x00\x00\x00" + self.value,
            }[kind]
            payload = keyword + body
            unit = len(payload).to_bytes(4, "big") + kind + payload
            unit += zlib.crc32(kind + payload).to_bytes(4, "big")
            return data[:33] + unit * self.count + data[33:]
        if data.startswith(b"\xff\xd8"):
            comment = (self.keyword + self.value)[:65533]
            return (
                data[:2]
                + (b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment) * self.count
                + data[2:]
            )
        return data


Mutation = Flip | Write | Truncate | Insert | Delete | Duplicate | Length | Splice | FixCrcs | Text


def _int(value: int, size: int, big_endian: bool) -> bytes:
    return (value % (1 << (8 * size))).to_bytes(size, "big" if big_endian else "little")


def mutate(data: bytes, mutations: list[Mutation], seeds: Mapping[str, bytes]) -> bytes:
    for mutation in mutations:
        data = mutation.apply(data, seeds)
    return data


# Positions: half the time among the first 128 bytes, where the headers a parser trusts are, past the
# first 4 (magic bytes that, changed, only exercise sniff's refusal).
_anywhere = st.integers(0, 1 << 20)
_pos = st.one_of(st.integers(4, 127), _anywhere)
_small = st.integers(0, 255)
# Metadata names and values: any bytes, mostly the ones UTF-8 forbids (Latin-1 letters, 0xFF, lone
# continuation bytes).
_foreign_text = st.binary(min_size=1, max_size=24).map(
    lambda b: bytes(c | 0x80 if i % 2 else c for i, c in enumerate(b))
)


def mutation_strategy(seed_names: list[str]) -> st.SearchStrategy[Mutation]:
    interesting = st.sampled_from(INTERESTING)
    return st.one_of(
        st.builds(Flip, _pos, st.integers(0, 7)),
        st.builds(Write, _pos, interesting, st.sampled_from([1, 2, 4]), st.booleans()),
        st.builds(Truncate, _anywhere),
        st.builds(Insert, _pos, st.one_of(st.binary(min_size=1, max_size=64), st.just(b"\xff" * 16))),
        st.builds(Delete, _pos, st.integers(1, 64)),
        st.builds(Duplicate, _small, _small, st.integers(1, 3)),
        st.builds(Length, _small, st.one_of(st.none(), interesting), st.integers(-16, 16)),
        st.builds(Splice, st.sampled_from(seed_names), _pos, _pos),
        st.builds(Text, st.integers(0, 2), _foreign_text, _foreign_text, st.sampled_from([1, 2, 1000])),
    )


def mutations_strategy(seed_names: list[str]) -> st.SearchStrategy[list[Mutation]]:
    """One to three mutations, then, half the time, PNG checksums made right again."""
    return st.tuples(st.lists(mutation_strategy(seed_names), min_size=1, max_size=3), st.booleans()).map(
        lambda drawn: [*drawn[0], FixCrcs()] if drawn[1] else drawn[0]
    )
