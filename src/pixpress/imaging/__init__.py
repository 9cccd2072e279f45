"""The imaging engine: pure work on bytes, no web, database or HTTP code.

Public API:
    sniff(data) -> ImageFormat                       magic bytes only; UnsupportedFormat otherwise
    probe(data, *, limits) -> ImageInfo              header only, limits enforced, no pixel decoded
    parse_options(fields) -> OptimizeOptions         from HTTP form fields; InvalidOption
    output_formats(info, options) -> formats         what will be encoded; InvalidOption when no
                                                     encoder asked for can hold the output size
    options_to_dict(o) / options_from_dict(d)        JSON form for the task row
    optimize(data, *, options, limits, deadline=None) -> OptimizeResult
    optimize_with_sizes(data, *, options, limits, deadline=None) -> SizedResult   + options.sizes copies
    check_sizes_fit(sizes, info)                      InvalidOption for a size that would not shrink
    encode(image, fmt, quality, *, keep, deadline) -> bytes   one encoder call (for quality search)

The optimizing side (optimize, optimize_with_sizes: NumPy, the quality search) is imported on first use,
so the API process, which only sniffs and probes uploads, never loads it (about 20 MB). `encode` is
imported at once: it is light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pixpress.imaging.formats.sniff import sniff
from pixpress.imaging.options import options_from_dict, options_to_dict, parse_options
from pixpress.imaging.plan import output_formats
from pixpress.imaging.size_specs import check_sizes_fit
from pixpress.imaging.steps.encode import encode
from pixpress.imaging.steps.probe import probe
from pixpress.imaging.types import (
    AcceptFor,
    EncodedImage,
    ImageFormat,
    ImageInfo,
    KeepMetadata,
    Limits,
    Mode,
    OptimizeOptions,
    OptimizeResult,
    OutputFormat,
    SizedImage,
    SizedResult,
    SizeSpec,
)

if TYPE_CHECKING:
    from pixpress.imaging.pipeline import optimize
    from pixpress.imaging.sizes import optimize_with_sizes

_ON_FIRST_USE = {
    "optimize": "pixpress.imaging.pipeline",
    "optimize_with_sizes": "pixpress.imaging.sizes",
}


def __getattr__(name: str) -> Any:
    if name in _ON_FIRST_USE:
        return getattr(importlib.import_module(_ON_FIRST_USE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AcceptFor",
    "EncodedImage",
    "ImageFormat",
    "ImageInfo",
    "KeepMetadata",
    "Limits",
    "Mode",
    "OptimizeOptions",
    "OptimizeResult",
    "OutputFormat",
    "SizeSpec",
    "SizedImage",
    "SizedResult",
    "check_sizes_fit",
    "encode",
    "optimize",
    "optimize_with_sizes",
    "options_from_dict",
    "options_to_dict",
    "output_formats",
    "parse_options",
    "probe",
    "sniff",
]
