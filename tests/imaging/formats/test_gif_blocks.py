"""The submit-time GIF walk: a first frame cut short passes when its data reaches a pixel, and an LZW
code size browsers draw nothing of (0 draws a few stray pixels, over 8 none) is refused.

The cut points are Chromium's (tests/imaging/oracle): cut right after the first sub-block's length it
draws nothing, one byte later its first pixel.
"""

from __future__ import annotations

import time

import pytest

from pixpress.errors import InvalidImage
from pixpress.imaging.formats import gif_blocks, gif_partial
from tests.imaging import images
from tests.imaging.oracle import damaged_corpus


def _code_size_at(data: bytes) -> int:
    return gif_partial.locate(data).data_at - 1


def test_a_first_frame_cut_after_its_first_code_passes_and_one_cut_before_it_does_not() -> None:
    data = images.animated_gif()
    data_at = gif_partial.locate(data).data_at
    with pytest.raises(InvalidImage, match="before the first pixel"):
        gif_blocks.count_frames(data[: data_at + 1], max_frames=10)  # the sub-block's length only
    assert gif_blocks.count_frames(data[: data_at + 2], max_frames=10) == 1
    assert gif_blocks.count_frames(data[: len(data) // 2], max_frames=10) >= 1


def _lzw(*codes: int, sub_block: int = 255) -> bytes:
    """Code size 2 (3-bit codes: colours 0-3, clear 4, end 5), packed from the low bits up, in
    sub-blocks of `sub_block` bytes."""
    bits = sum(code << (3 * i) for i, code in enumerate(codes))
    payload = bits.to_bytes((3 * len(codes) + 7) // 8, "little")
    chunks = [payload[i : i + sub_block] for i in range(0, len(payload), sub_block)]
    return b"\x02" + b"".join(bytes([len(chunk)]) + chunk for chunk in chunks)


def test_first_pixel_skips_clear_codes_and_stops_at_the_end_code() -> None:
    assert gif_blocks.first_pixel(_lzw(4, 4, 1), 0)
    assert not gif_blocks.first_pixel(_lzw(4, 5, 1), 0)  # the end code first: nothing drawn
    assert not gif_blocks.first_pixel(_lzw(4, 7), 0)  # a code not in the table yet
    assert not gif_blocks.first_pixel(_lzw(*[4] * 8), 0)  # 8 clear codes fill 3 bytes: no colour


def test_first_pixel_reads_a_bounded_number_of_bytes() -> None:
    """A million clear codes in 1-byte sub-blocks: a few dozen read, then "no pixel"."""
    eight = _lzw(*[4] * 8)[2:]  # 8 clear codes: 3 bytes
    clears = b"\x02" + b"".join(b"\x01" + bytes([byte]) for byte in eight) * 350_000
    started = time.perf_counter()
    assert not gif_blocks.first_pixel(clears, 0)
    assert time.perf_counter() - started < 0.01


@pytest.mark.parametrize("size", [0, 11, 12])
def test_a_first_frame_code_size_browsers_do_not_draw_is_refused(size: int) -> None:
    data = damaged_corpus.generate()[f"gif_still/frame0_lzw_size_{size}"]
    with pytest.raises(InvalidImage, match=f"LZW code size is {size}") as caught:
        gif_blocks.count_frames(data, max_frames=10)
    assert caught.value.details == {"code_size": size}


def test_a_later_frame_code_size_is_the_decoder_s_business() -> None:
    """Browsers show the frames before it (the worker keeps those, decode.py)."""
    data = damaged_corpus.generate()["gif_animated/frame3_lzw_size_11"]
    assert gif_blocks.count_frames(data, max_frames=10) == 4
    assert (
        gif_blocks.count_frames(damaged_corpus.generate()["gif_still/frame0_lzw_size_1"], max_frames=10) == 1
    )
