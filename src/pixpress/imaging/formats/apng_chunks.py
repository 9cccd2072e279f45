"""An APNG's frame controls, checked at submit without decoding: each fcTL chunk (found by a search in
C, at most max_frames + 1 of them) must describe a region inside the canvas, and the sequence numbers
of the fcTL and fdAT chunks must run on without a gap, as Pillow and browsers require. A damaged or
missing frame control or frame data chunk is then refused here instead of failing in the worker.

The fdAT chunks between two fcTLs are counted with bytes.count (in C): four letters inside compressed
data could be miscounted, with odds of about one in a billion per frame.
"""

from __future__ import annotations

import struct

from pixpress.errors import InvalidImage

FCTL = b"\x00\x00\x00\x1afcTL"  # the length every fcTL has, then its type
_FCTL_PAYLOAD = 26


def count_frames(
    data: bytes, *, image_data: int, width: int, height: int, announced: int, max_frames: int
) -> int:
    """The frames of the animation (fcTL chunks), validated; stops counting past `max_frames` (the
    caller's limit check refuses the file). `image_data`: the first IDAT (an fcTL before it makes the
    default image the first frame; every other frame needs fdAT chunks)."""
    if announced > max_frames:
        return announced  # refused by the frame limit, whatever the chunks say
    positions: list[int] = []
    pos = data.find(FCTL, 8)
    while pos >= 0 and len(positions) <= max_frames:
        positions.append(pos)
        pos = data.find(FCTL, pos + len(FCTL))
    expected = 0
    for index, at in enumerate(positions):
        if at + 8 + _FCTL_PAYLOAD > len(data):
            raise InvalidImage("The APNG file is truncated (in a frame control chunk).")
        sequence, frame_width, frame_height, x, y = struct.unpack(">IIIII", data[at + 8 : at + 28])
        if sequence != expected:
            raise InvalidImage("The APNG file is corrupt (frame chunks missing or out of order).")
        inside = x + frame_width <= width and y + frame_height <= height
        if not (frame_width and frame_height and inside):
            raise InvalidImage("The APNG file is corrupt (a frame lies outside the image).")
        following = positions[index + 1] if index + 1 < len(positions) else len(data)
        frame_data = data.count(b"fdAT", at, following)
        if at > image_data and not frame_data:
            raise InvalidImage("The APNG file is corrupt (a frame has no image data).")
        expected = sequence + 1 + frame_data
    if len(positions) < min(announced, max_frames):
        raise InvalidImage(f"The APNG file is corrupt ({len(positions)} of its {announced} frames found).")
    return len(positions)
