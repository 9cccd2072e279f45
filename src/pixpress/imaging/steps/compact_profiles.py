"""Small profiles of the same colours as common wide-gamut ones, for outputs that keep their profile.

Display P3: libvips' built-in 'p3' profile (480 bytes, ICC v4, parametric curves), which is
"DisplayP3Compat-v4" of Clinton Ingram's Compact-ICC-Profiles (CC0-1.0, public domain dedication; see
docs/formats.md). An iPhone's Display P3 profile is 536 bytes, other P3 profiles up to several KB.
Adobe RGB (1998): no compact form ships with the packages pixpress installs, so its own profile (560
bytes in Adobe's original) is kept as it is.

A compact form replaces a profile only when icc.same_colours says both show every pixel alike and it is
smaller.
"""

from __future__ import annotations

import functools

import pyvips

from pixpress.imaging.steps import icc, metadata

BUILT_IN = ("p3",)  # libvips' names of the compact profiles it carries (besides its sRGB)


@functools.cache
def built_in(name: str) -> bytes | None:
    """libvips' built-in profile `name` (None when this libvips has none of that name)."""
    pixel = pyvips.Image.black(1, 1, bands=3).copy(interpretation="srgb")
    try:
        converted = pixel.icc_transform(name, input_profile="srgb", intent="relative")
    except pyvips.Error:
        return None
    return metadata.get_blob(converted, metadata.ICC)


def smaller_equivalent(profile: bytes) -> bytes | None:
    """A compact profile that shows the same colours as `profile` and is smaller; None when none is."""
    for name in BUILT_IN:
        compact = built_in(name)
        if compact is not None and len(compact) < len(profile) and icc.same_colours(profile, compact):
            return compact
    return None
