"""The imaging engine: pure work on bytes, no web, database or HTTP code.

Public API:
    sniff(data) -> ImageFormat                       magic bytes only; UnsupportedFormat otherwise
    probe(data, *, limits) -> ImageInfo              header only, limits enforced, no pixel decoded
    parse_options(fields) -> OptimizeOptions         from HTTP form fields; InvalidOption
    options_to_dict(o) / options_from_dict(d)        JSON form for the task row
    optimize(data, *, options, limits, deadline=None) -> OptimizeResult
    optimize_with_sizes(data, *, options, limits, deadline=None) -> SizedResult   + options.sizes copies
    check_sizes_fit(sizes, info)                      InvalidOption for a size that would not shrink
    encode(image, fmt, quality, *, keep, deadline) -> bytes   one encoder call (for quality search)
"""

from pixpress.imaging.encode import encode
from pixpress.imaging.options import options_from_dict, options_to_dict, parse_options
from pixpress.imaging.pipeline import optimize
from pixpress.imaging.probe import probe
from pixpress.imaging.size_specs import check_sizes_fit
from pixpress.imaging.sizes import optimize_with_sizes
from pixpress.imaging.sniff import sniff
from pixpress.imaging.types import (
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

__all__ = [
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
    "parse_options",
    "probe",
    "sniff",
]
