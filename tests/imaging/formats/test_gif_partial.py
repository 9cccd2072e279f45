"""A GIF cut or damaged in its first frame shows what Chromium shows: the pixels its LZW codes reach,
interlaced rows repeated down over the rows later passes fill, the rest transparent.

The pixel counts and row patterns below are Chromium's, measured on these files with
tests/imaging/oracle (which compares every GIF of the damaged corpus again when Chromium is installed).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pixpress.imaging.formats import gif_partial
from tests.imaging import images
from tests.imaging.oracle import damaged_corpus


def _shown(data: bytes) -> gif_partial.ShownFrame:
    return gif_partial.shown(data, gif_partial.locate(data))


def _intact(name: str) -> np.ndarray:
    with Image.open(io.BytesIO(damaged_corpus.bases()[name])) as image:
        return np.asarray(image.convert("RGBA"))


@pytest.mark.parametrize(("extra", "pixels"), [(0, 0), (1, 0), (2, 1), (3, 10), (5, 36)])
def test_pixels_drawn_as_the_data_arrives(extra: int, pixels: int) -> None:
    """Cut `extra` bytes after the LZW code size: the sub-block's length, then a byte of codes at a
    time (Chromium draws a sub-block the file stops inside as far as it goes)."""
    data = images.animated_gif()
    cut = data[: gif_partial.locate(data).data_at + extra]
    shown = _shown(cut)
    assert shown.decoded == pixels
    assert int(np.count_nonzero(shown.pixels[:, :, 3])) == pixels


def test_an_interlaced_frame_cut_in_its_first_pass_shows_each_row_over_eight() -> None:
    shown = _shown(damaged_corpus.generate()["gif_still/cut_10%"])
    intact = _intact("gif_still")
    assert not shown.complete
    for row in range(64):  # rows 0, 8, ..., 56 decoded, each repeated over the 7 below it
        assert (shown.pixels[row] == intact[row // 8 * 8]).all(), row
    assert 0 < np.count_nonzero(shown.pixels[64, :, 3]) < 160  # row 64: the data stops inside it
    assert not shown.pixels[65:, :, 3].any()


def test_an_interlaced_frame_cut_in_its_second_pass_repeats_its_rows_over_four() -> None:
    shown = _shown(damaged_corpus.generate()["gif_still/cut_20%"])
    intact = _intact("gif_still")
    assert (shown.pixels[:44] == intact[np.arange(44) // 4 * 4]).all()  # passes 1 and 2 down to row 40
    assert (shown.pixels[48:] == intact[np.arange(48, 112) // 8 * 8]).all()  # below: pass 1 alone


def test_a_frame_cut_short_shows_its_rows_and_nothing_below() -> None:
    shown = _shown(damaged_corpus.generate()["gif_animated/frame0_cut_70%"])
    intact = _intact("gif_animated")
    whole, part = divmod(shown.decoded, 96)
    assert (whole, part) == (44, 53)  # Chromium's: 44 rows and 53 pixels of the next
    assert (shown.pixels[:whole] == intact[:whole]).all()
    assert (shown.pixels[whole, :part] == intact[whole, :part]).all()
    assert not shown.pixels[whole, part:, 3].any() and not shown.pixels[whole + 1 :, 3].any()


def test_a_damaged_sub_block_shows_what_decodes_before_the_first_wrong_code() -> None:
    shown = _shown(damaged_corpus.generate()["gif_still/frame0_sub_block_longer"])
    assert shown.decoded == 525  # passes 1 rows 0, 8, 16 and part of 24 (Chromium: rows 0 to 24)
    alpha = shown.pixels[:, :, 3].any(axis=1)
    assert alpha[:25].all() and not alpha[25:].any()


def test_a_whole_frame_is_complete() -> None:
    shown = _shown(damaged_corpus.generate()["gif_still/frame0_no_terminator"])
    assert shown.complete
    assert (shown.pixels == _intact("gif_still")).all()


def test_the_transparent_colour_stays_transparent() -> None:
    frame = Image.new("P", (40, 30), 1)
    frame.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    frame.paste(0, (10, 0, 20, 30))
    out = io.BytesIO()
    frame.save(out, "GIF", transparency=0)
    data = out.getvalue()
    shown = _shown(data[: len(data) - 8])
    assert 0 < shown.decoded < 1200
    rows = shown.decoded // 40
    assert not shown.pixels[:rows, 10:20, 3].any()
    assert (shown.pixels[:rows, :10] == [0, 0, 255, 255]).all()


@pytest.mark.parametrize("size", [0, 9, 11])
def test_a_code_size_browsers_do_not_draw_decodes_nothing(size: int) -> None:
    data = images.animated_gif()
    at = gif_partial.locate(data).data_at - 1
    shown = _shown(data[:at] + bytes([size]) + data[at + 1 :])
    assert shown.decoded == 0 and not shown.pixels.any()


def test_the_canvas_grows_to_hold_the_frame() -> None:
    """As Chromium and libvips do (a frame outside the screen, a screen of size 0)."""
    data = damaged_corpus.generate()["gif_still/zero_size_screen"]
    first = gif_partial.locate(data)
    assert (first.canvas_width, first.canvas_height) == (160, 112)


def test_a_colour_index_past_the_table_is_opaque_black() -> None:
    """Damaged data decodes to any index; Chromium draws one past the table black (measured on
    gif_still/frame0_sub_block_longer)."""
    codes = (4, 1, 3, 3, 5)  # code size 2: clear, colour 1, colour 3 twice, end
    bits = sum(code << (3 * i) for i, code in enumerate(codes))
    lzw = bits.to_bytes(2, "little")
    data = (
        b"GIF89a\x03\x00\x01\x00\x80\x00\x00"  # 3x1 screen, a global table of 2 colours
        + b"\xff\x00\x00\x00\xff\x00"
        + b"\x2c\x00\x00\x00\x00\x03\x00\x01\x00\x00"
        + b"\x02\x02"
        + lzw
        + b"\x00\x3b"
    )
    shown = _shown(data)
    assert shown.complete
    assert shown.pixels[0].tolist() == [[0, 255, 0, 255], [0, 0, 0, 255], [0, 0, 0, 255]]
