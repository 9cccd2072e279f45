"""Optimization options: parsed from the HTTP form fields, and stored in the task row as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from pixpress.errors import InvalidOption
from pixpress.imaging.size_specs import format_sizes, parse_sizes
from pixpress.imaging.types import AcceptFor, ImageFormat, KeepMetadata, Mode, OptimizeOptions, OutputFormat

E = TypeVar("E", bound=StrEnum)

MAX_RESIZE_PX = 100_000  # guards the arithmetic; the image limits apply to the result anyway
FORMAT_ALIASES = {"jpg": "jpeg", "jpe": "jpeg"}
ACCEPTABLE_FORMATS = frozenset({ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.WEBP, ImageFormat.AVIF})
# The form fields parse_options() reads (the client's OPTION_NAMES must list the same).
OPTION_FIELDS = (
    "mode",
    "quality",
    "format",
    "max_width",
    "max_height",
    "keep_metadata",
    "accept",
    "sizes",
    "accept_for",
)


def parse_options(fields: Mapping[str, str | None]) -> OptimizeOptions:
    """Options from form fields; absent or empty fields take the defaults.

    Raises InvalidOption with details {"field": name} for a bad value. Unknown fields are ignored.
    """
    values = {k: v.strip() for k, v in fields.items() if v is not None and v.strip() != ""}
    defaults = OptimizeOptions()
    fmt_text = values.get("format", "").lower() or None
    return OptimizeOptions(
        mode=_enum(Mode, "mode", values.get("mode"), defaults.mode),
        quality=_int(values, "quality", low=1, high=100),
        format=_enum(OutputFormat, "format", FORMAT_ALIASES.get(fmt_text or "", fmt_text), defaults.format),
        max_width=_int(values, "max_width", low=1, high=MAX_RESIZE_PX),
        max_height=_int(values, "max_height", low=1, high=MAX_RESIZE_PX),
        keep_metadata=_enum(
            KeepMetadata, "keep_metadata", values.get("keep_metadata"), defaults.keep_metadata
        ),
        accept=_accept(values.get("accept")),
        sizes=parse_sizes(values.get("sizes")),
        accept_for=_enum(AcceptFor, "accept_for", values.get("accept_for"), defaults.accept_for),
    )


def options_to_dict(options: OptimizeOptions) -> dict[str, Any]:
    """A JSON-ready dict; options_from_dict(options_to_dict(o)) == o."""
    # accept_for only when not the default: the dict is hashed to find identical re-uploads
    # (tasks/content.py), and uploads made before the option existed keep their hash.
    extra = {} if options.accept_for is AcceptFor.ALL else {"accept_for": options.accept_for.value}
    return {
        "mode": options.mode.value,
        "quality": options.quality,
        "format": options.format.value,
        "max_width": options.max_width,
        "max_height": options.max_height,
        "keep_metadata": options.keep_metadata.value,
        "accept": sorted(f.value for f in options.accept),
        "sizes": format_sizes(options.sizes),
        **extra,
    }


def options_from_dict(data: Mapping[str, Any]) -> OptimizeOptions:
    """The inverse of options_to_dict; missing keys take the defaults (rows written by older versions)."""
    fields: dict[str, str | None] = {
        key: None if data.get(key) is None else str(data[key])
        for key in OPTION_FIELDS
        if key != "accept"  # a list in the dict, joined below
    }
    accept = data.get("accept") or []
    fields["accept"] = ",".join(str(a) for a in accept)
    return parse_options(fields)


def _enum(kind: type[E], field: str, text: str | None, default: E) -> E:
    if text is None:
        return default
    try:
        return kind(text.lower())
    except ValueError:
        allowed = "|".join(member.value for member in kind)
        raise InvalidOption(f"{field} must be one of {allowed}.", details={"field": field}) from None


def _int(values: Mapping[str, str], field: str, *, low: int, high: int) -> int | None:
    text = values.get(field)
    if text is None:
        return None
    try:
        number = int(text)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise InvalidOption(f"{field} must be an integer from {low} to {high}.", details={"field": field})
    return number


def _accept(text: str | None) -> frozenset[ImageFormat]:
    """'webp,avif' or a browser Accept header ('image/avif,image/webp,*/*;q=0.8').

    Bare names must be formats pixpress can write; MIME types it does not write (image/svg+xml,
    image/*, */*) are skipped, so a client may forward its visitors' Accept header as is.
    """
    if text is None:
        return frozenset()
    formats: set[ImageFormat] = set()
    for raw in text.split(","):
        item = raw.split(";", 1)[0].strip().lower()
        if not item:
            continue
        is_mime = "/" in item
        name = item.removeprefix("image/") if is_mime else item
        name = FORMAT_ALIASES.get(name, name)
        try:
            fmt = ImageFormat(name)
        except ValueError:
            fmt = None
        if fmt is not None and fmt in ACCEPTABLE_FORMATS:
            formats.add(fmt)
        elif not is_mime:
            allowed = ",".join(sorted(f.value for f in ACCEPTABLE_FORMATS))
            raise InvalidOption(f"accept lists formats among {allowed}.", details={"field": "accept"})
    return frozenset(formats)
