"""A small stand-in for a large image in the quality search: a mosaic of full-resolution tiles.

Each probe of the search costs an encode and a score of the whole image (about 1.4 s at 12 MP). The
search runs first on the mosaic (about 1 MP, spread over the whole picture), and the full-size search
starts where the mosaic reached the target: it usually needs one or two full-size encodes instead of
three. The full-size search still decides; the mosaic only picks its first probe.

Tiles start on the 16-pixel grid of JPEG's 4:2:0 blocks, so a tile's blocks are the full image's blocks
(coded almost alike: mozjpeg's DC trellis looks across blocks, tests/imaging/test_proxy.py).
"""

from __future__ import annotations

import pyvips

PROXY_FROM_MEGAPIXELS = 3.0  # below this a full-size probe is cheap enough
# The mosaic's probes are cheap (1 MP): its search may take more of them and land closer to the target.
MAX_ENCODES = 5
TOLERANCE = 0.75
# Then a full-size probe (encode and score: ~2 s at 12 MP) that reaches the target within this many
# points is kept rather than refined: a second one saves a few percent of bytes for as much time again.
FULL_SIZE_TOLERANCE = 3.0
TILE = 256
GRID = 4  # GRID x GRID tiles: 1 MP


def wanted(width: int, height: int) -> bool:
    return width * height >= PROXY_FROM_MEGAPIXELS * 1e6 and min(width, height) >= TILE * GRID // 2


def mosaic(image: pyvips.Image) -> pyvips.Image:
    """GRID x GRID tiles of `image`, evenly spread from edge to edge, joined in their order."""
    tiles = [image.crop(x, y, TILE, TILE) for y in _offsets(image.height) for x in _offsets(image.width)]
    return pyvips.Image.arrayjoin(tiles, across=GRID).copy_memory()


def _offsets(length: int) -> list[int]:
    span = length - TILE
    return [min(span, span * i // (GRID - 1)) // 16 * 16 for i in range(GRID)]
