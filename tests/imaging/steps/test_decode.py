from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import pyvips

from pixpress.errors import ImageTooLarge, InvalidImage
from pixpress.imaging import Limits, probe
from pixpress.imaging.formats import gif_partial
from pixpress.imaging.steps.decode import decode
from tests.imaging import images
from tests.imaging.oracle import damaged_corpus
from tests.imaging.run_steps import run_until


def corrupt_idat(data: bytes) -> bytes:
    """Scramble the compressed pixels of the first IDAT and fix its CRC: the structure stays valid."""
    out = bytearray(data)
    pos = 8
    while True:
        length, kind = struct.unpack(">I4s", out[pos : pos + 8])
        if kind == b"IDAT":
            for i in range(pos + 108, pos + 8 + length - 8, 37):
                out[i] ^= 0x5A
            crc = zlib.crc32(bytes(out[pos + 4 : pos + 8 + length]))
            out[pos + 8 + length : pos + 12 + length] = struct.pack(">I", crc)
            return bytes(out)
        pos += 12 + length


def test_decodes_every_frame() -> None:
    ctx = run_until(images.animated_gif(), "decode")
    assert ctx.frames == 5
    assert (ctx.pixels.width, ctx.pixels.height, ctx.frame_height) == (48, 160, 32)
    assert list(ctx.pixels.get("delay")) == images.DELAYS_MS


def test_corrupt_pixels_fail_in_the_worker() -> None:
    data = corrupt_idat(images.read(images.PHOTO / "kodim05.png"))
    ctx = run_until(data, "plan")  # the submit-time probe cannot see it
    with pytest.raises(InvalidImage):
        decode(ctx)


def test_frame_limit_rechecked_on_decode() -> None:
    ctx = run_until(images.animated_gif(6), "plan")
    ctx.limits = Limits(max_frames=5)  # as if the header had claimed fewer frames
    with pytest.raises(ImageTooLarge):
        decode(ctx)


def test_orientation_recorded() -> None:
    data, _ = images.rotated_jpeg(6)
    assert run_until(data, "decode").orientation == 6


def _rgba(image: pyvips.Image) -> np.ndarray:
    image = image if image.hasalpha() else image.bandjoin(255)
    return np.ndarray(buffer=image.write_to_memory(), dtype=np.uint8, shape=(image.height, image.width, 4))


def test_a_gif_cut_in_its_first_frame_shows_what_a_browser_draws() -> None:
    """Interlaced, cut in its first pass: each row decoded repeated over the 7 below, the rest
    transparent (Chromium's drawing; libnsgif would leave 7 rows of 8 transparent)."""
    ctx = run_until(damaged_corpus.generate()["gif_still/cut_10%"], "decode")
    pixels = _rgba(ctx.pixels)
    assert pixels.shape == (112, 160, 4)
    intact = _rgba(pyvips.Image.new_from_buffer(damaged_corpus.bases()["gif_still"], ""))
    assert (pixels[:64] == intact[np.arange(64) // 8 * 8]).all()
    assert not pixels[65:, :, 3].any()
    assert 8 * 160 < ctx.notes["pixels_shown"] < 9 * 160


def test_an_animated_gif_damaged_in_a_later_frame_keeps_the_frames_before_it() -> None:
    for damage in ("frame3_lzw_size_11", "frame3_sub_block_longer"):
        ctx = run_until(damaged_corpus.generate()[f"gif_animated/{damage}"], "decode")
        assert ctx.frames == 3, damage
        intact = run_until(damaged_corpus.bases()["gif_animated"], "decode")
        assert (_rgba(ctx.pixels) == _rgba(intact.pixels)[: 3 * 64]).all(), damage


def test_a_gif_with_an_lzw_code_size_of_1_shows_the_few_pixels_its_codes_give() -> None:
    """libnsgif draws a whole frame of noise from it; Chromium 3 pixels of the first row."""
    ctx = run_until(damaged_corpus.generate()["gif_still/frame0_lzw_size_1"], "decode")
    assert ctx.frames == 1
    assert 0 < np.count_nonzero(_rgba(ctx.pixels)[:, :, 3]) < 8


@pytest.mark.parametrize("base", ["gif_still", "gif_animated"])
def test_a_gif_cut_anywhere_in_its_first_frame_is_refused_at_submit_or_decoded(base: str) -> None:
    """The submit check and the worker agree byte by byte over the first codes, then at 25 points."""
    data = damaged_corpus.bases()[base]
    first = gif_partial.locate(data)
    end = next(stop for kind, _, stop in damaged_corpus.gif_blocks(data) if kind == "image")
    cuts = [
        *range(first.data_at - 1, first.data_at + 24),
        *range(first.data_at + 24, end, (end - first.data_at) // 25),
    ]
    refused = []
    for cut in cuts:
        try:
            probe(data[:cut], limits=Limits())
        except InvalidImage:
            refused.append(cut)
            continue
        ctx = run_until(data[:cut], "decode")
        assert 0 < ctx.notes["pixels_shown"] < first.width * first.height, cut
    # Refused: cut before the LZW code size, after it, after the sub-block's length, and after one and
    # two bytes of 9-bit codes (a clear code, then the first colour's code: 18 bits); the rest decoded.
    assert refused == cuts[:5]
