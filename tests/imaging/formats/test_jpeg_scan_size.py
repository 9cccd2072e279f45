"""A JPEG whose scans cannot hold its pixels is refused at submit (imaging/formats/jpeg_scan_size.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips

from pixpress.errors import InvalidImage
from pixpress.imaging import probe
from pixpress.imaging.types import Limits


def flat_jpeg(width: int, height: int, **options: object) -> bytes:
    image = (pyvips.Image.black(width, height, bands=3) + 128).cast("uchar").copy(interpretation="srgb")
    return bytes(image.jpegsave_buffer(Q=80, **options))


@pytest.mark.parametrize("options", [{}, {"interlace": True}, {"subsample_mode": "off"}], ids=str)
def test_whole_jpegs_pass_even_when_flat(options: dict[str, object]) -> None:
    """One flat colour codes in about a bit per block: the lower bound still lets it through."""
    data = flat_jpeg(1000, 1000, **options)
    assert probe(data, limits=Limits()).width == 1000


@pytest.mark.parametrize("options", [{}, {"interlace": True}], ids=str)
def test_a_jpeg_cut_and_given_its_end_back_is_refused(corpus: Path, options: dict[str, object]) -> None:
    photo = pyvips.Image.new_from_file(str(corpus / "photo" / "kodim03.png"))
    whole = bytes(photo.jpegsave_buffer(Q=80, **options))
    start = whole.index(b"\xff\xda")
    cut = whole[: start + 400] + b"\xff\xd9"
    with pytest.raises(InvalidImage, match="pixels are missing") as refused:
        probe(cut, limits=Limits())
    assert refused.value.details["reason"] == "image_data_too_short"


def test_every_corpus_jpeg_passes(corpus: Path) -> None:
    for path in sorted((corpus / "photo").glob("*.jpg")):
        probe(path.read_bytes(), limits=Limits())
