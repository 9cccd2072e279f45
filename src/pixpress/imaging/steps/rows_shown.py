"""The pixels a browser shows of an image whose data stops early: the rows it decoded, and below them
nothing (transparent: the page shows through), never the grey or black a lenient decoder fills in.

docs/formats.md, "Damaged files that are accepted"; the row count comes from jpeg_partial (JPEG) or
png_stream (PNG). A JPEG output has no alpha: it is flattened on white like any transparent image.
"""

from __future__ import annotations

import pyvips


def keep_rows(image: pyvips.Image, *, rows: int, height: int) -> pyvips.Image:
    """`image` with every row from `rows` on (of `height`: the stored height, before shrink-on-load)
    made transparent."""
    shown = rows * int(image.height) // height  # in the loaded image's rows (shrink-on-load)
    if shown >= image.height:
        return image
    opaque = 65535 if image.format == "ushort" else 255
    mask = (pyvips.Image.xyz(image.width, image.height)[1] < shown).ifthenelse(opaque, 0)
    if image.hasalpha():
        alpha = image[image.bands - 1]
        return image[: image.bands - 1].bandjoin((alpha & mask).cast(image.format))
    return image.bandjoin(mask.cast(image.format))
