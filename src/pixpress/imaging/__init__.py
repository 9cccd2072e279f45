"""The imaging engine: pure work on bytes, no web, database or HTTP code.

Public API:
    sniff(data) -> ImageFormat                       magic bytes only; UnsupportedFormat otherwise
    probe(data, *, limits) -> ImageInfo              header only, limits enforced, no pixel decoded
    parse_options(fields) -> OptimizeOptions         from HTTP form fields; InvalidOption
    output_formats(info, options) -> formats         what will be encoded; InvalidOption when no
                                                     encoder asked for can hold the output size
    options_to_dict(o) / options_from_dict(d)        JSON form for the task row
    optimize(data, *, options, limits, deadline=None) -> OptimizeResult
    encode(image, fmt, quality, *, keep, deadline) -> bytes   one encoder call (for quality search)
"""

from pixpress.imaging.encode import encode
from pixpress.imaging.options import options_from_dict, options_to_dict, parse_options
from pixpress.imaging.pipeline import optimize
from pixpress.imaging.plan import output_formats
from pixpress.imaging.probe import probe
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
    "encode",
    "optimize",
    "options_from_dict",
    "options_to_dict",
    "output_formats",
    "parse_options",
    "probe",
    "sniff",
]
