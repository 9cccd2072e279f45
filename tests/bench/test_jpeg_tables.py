import io
from pathlib import Path

import pyvips
from bench.jpeg_tables import jpegli, mozjpeg
from PIL import Image as PILImage


def test_both_encoders_give_ordinary_jpegs_that_shrink_with_quality(corpus: Path) -> None:
    image = (
        pyvips.Image.new_from_file(str(corpus / "photo" / "kodim03.png")).thumbnail_image(256).copy_memory()
    )
    for encode in (mozjpeg(image, 5), jpegli(image)):
        low, high = encode(40), encode(90)
        assert low[:2] == high[:2] == b"\xff\xd8"
        assert len(low) < len(high)
        assert PILImage.open(io.BytesIO(high)).size == (image.width, image.height)
