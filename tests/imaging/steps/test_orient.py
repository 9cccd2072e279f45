from __future__ import annotations

import numpy as np

from tests.imaging import images
from tests.imaging.run_steps import run_until


def test_rotation_applied_and_tag_removed() -> None:
    data, upright = images.rotated_jpeg(6)
    image = run_until(data, "orient").pixels
    assert (image.width, image.height) == (128, 198)  # kodim05 is 198x128 as stored
    assert "orientation" not in image.get_fields()
    assert np.array_equal(image.numpy(), upright.numpy())


def test_upright_image_untouched() -> None:
    data = images.read(images.PHOTO / "rocket.jpg")
    before = run_until(data, "decode").pixels
    after = run_until(data, "orient").pixels
    assert (after.width, after.height) == (before.width, before.height)
