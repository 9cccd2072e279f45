from __future__ import annotations

import pytest

from pixpress.errors import ImageTooLarge
from pixpress.imaging import Limits
from pixpress.imaging.limits import check_limits

LIMITS = Limits(max_pixels=1_000_000, max_frames=10, max_dimension_px=2000, max_total_pixels=5_000_000)


@pytest.mark.parametrize(
    ("width", "height", "frames"),
    [(2001, 10, 1), (10, 2001, 1), (1001, 1000, 1), (10, 10, 11), (1000, 1000, 6)],
)
def test_over_a_limit(width: int, height: int, frames: int) -> None:
    with pytest.raises(ImageTooLarge) as caught:
        check_limits(width=width, height=height, frames=frames, limits=LIMITS)
    assert caught.value.details == {"width": width, "height": height, "frames": frames}


@pytest.mark.parametrize(("width", "height", "frames"), [(2000, 500, 1), (1000, 1000, 5), (1, 1, 10)])
def test_at_the_limit(width: int, height: int, frames: int) -> None:
    check_limits(width=width, height=height, frames=frames, limits=LIMITS)
