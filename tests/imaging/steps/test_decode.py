from __future__ import annotations

import struct
import zlib

import pytest

from pixpress.errors import ImageTooLarge, InvalidImage
from pixpress.imaging import Limits
from pixpress.imaging.steps.decode import decode
from tests.imaging import images
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
