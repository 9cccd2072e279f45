import numpy as np
import pytest
import pyvips

from pixpress.imaging import proxy
from tests.conftest import CORPUS

DOG = CORPUS / "photo" / "dog_exif_extended_xmp_icc.jpg"


def gradient(width: int, height: int) -> pyvips.Image:
    return (pyvips.Image.xyz(width, height) % 251).cast("uchar").bandjoin([0, 0])


@pytest.mark.parametrize(
    ("width", "height", "wanted"), [(4032, 3024, True), (1000, 1000, False), (20000, 300, False)]
)
def test_only_large_images_get_a_stand_in(width: int, height: int, wanted: bool) -> None:
    assert proxy.wanted(width, height) is wanted


def test_the_mosaic_is_full_resolution_tiles_on_the_jpeg_block_grid() -> None:
    image = gradient(4001, 3003)
    tiles = proxy.mosaic(image)
    assert (tiles.width, tiles.height) == (proxy.TILE * proxy.GRID, proxy.TILE * proxy.GRID)
    offsets_x = proxy._offsets(image.width)
    offsets_y = proxy._offsets(image.height)
    assert all(o % 16 == 0 for o in offsets_x + offsets_y)
    assert offsets_x[0] == offsets_y[0] == 0 and offsets_x[-1] + proxy.TILE > image.width - 16  # edge to edge
    whole, mosaic = image.numpy(), tiles.numpy()
    for row, y in enumerate(offsets_y):
        for column, x in enumerate(offsets_x):
            tile = mosaic[
                row * proxy.TILE : (row + 1) * proxy.TILE, column * proxy.TILE : (column + 1) * proxy.TILE
            ]
            assert np.array_equal(tile, whole[y : y + proxy.TILE, x : x + proxy.TILE])


def test_a_tile_is_coded_as_in_the_full_jpeg() -> None:
    """What makes the mosaic a fair stand-in: mozjpeg codes each 4:2:0 block of a tile almost exactly as
    it codes the same block of the whole photo."""
    image = pyvips.Image.new_from_buffer(DOG.read_bytes(), "").copy_memory()
    settings = {"Q": 70, "trellis_quant": True, "subsample_mode": "on", "quant_table": 5}
    whole = pyvips.Image.new_from_buffer(image.jpegsave_buffer(**settings), "").numpy()
    tiles = proxy.mosaic(image)
    mosaic = pyvips.Image.new_from_buffer(tiles.jpegsave_buffer(**settings), "").numpy()
    x, y = proxy._offsets(image.width)[1], proxy._offsets(image.height)[1]
    # An inner block of tile (1, 1), away from the tile's edges where chroma upsampling sees neighbours.
    inner = slice(16, proxy.TILE - 16)
    got = mosaic[proxy.TILE :][inner, proxy.TILE :][:, inner].astype(int)
    expected = whole[y : y + proxy.TILE, x : x + proxy.TILE][inner, inner].astype(int)
    difference = np.abs(got - expected)
    # DC trellis quantisation looks across blocks: a few values differ (3% here, by 0.07 on average).
    assert (difference == 0).mean() > 0.95 and difference.mean() < 0.2
