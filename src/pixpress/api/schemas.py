"""OpenAPI descriptions of the hand-parsed multipart submit (parsed by hand so auth runs before the body).

The form's schema says what the handler accepts, from the same constants the parsing uses
(imaging/options.py, imaging/size_specs.py): enumerations, bounds and patterns, so a client or a
property-based test generating bodies from it gets options the server takes. The file's type is read
from its bytes (any Content-Type is accepted).
"""

from __future__ import annotations

from typing import Any

from pixpress.imaging.options import ACCEPTABLE_FORMATS, FORMAT_ALIASES, MAX_RESIZE_PX
from pixpress.imaging.size_specs import MAX_SIZE_PX, MAX_SIZES
from pixpress.imaging.types import AcceptFor, KeepMetadata, Mode, OutputFormat

_ACCEPTED_NAMES = sorted({f.value for f in ACCEPTABLE_FORMATS} | set(FORMAT_ALIASES))
# A side from 0 to MAX_SIZE_PX (a power of ten: fewer digits, or exactly it).
_SIDE = rf"(?:{MAX_SIZE_PX}|\d{{1,{len(str(MAX_SIZE_PX)) - 1}}})"
_SIZE = rf"[a-z0-9_-]{{1,40}}:{_SIDE}[xX]{_SIDE}(:crop)?"
# A format name or a MIME type (image/avif; q=0.9, */*), comma-separated: a browser's Accept header as is.
_ACCEPT_ITEM = rf"\s*(({'|'.join(_ACCEPTED_NAMES)})|[a-z*]+/[a-z0-9.+*-]+(\s*;[^,]*)?)\s*"
_FORMAT_NAMES = [f.value for f in OutputFormat] + sorted(FORMAT_ALIASES)
UPLOAD_TYPES = (
    "image/jpeg, image/png, image/webp, image/gif, image/avif, image/heic, application/octet-stream"
)


def _enum(values: list[str], default: str) -> dict[str, Any]:
    return {"type": "string", "enum": values, "default": default, "description": "case-insensitive"}


SUBMIT_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": (
                                "JPEG, PNG, WebP, GIF, AVIF or HEIC, at most PIXPRESS_MAX_UPLOAD_MB "
                                "(25); the type is read from the bytes"
                            ),
                        },
                        "mode": _enum([m.value for m in Mode], Mode.LOSSY.value),
                        "quality": {"type": "integer", "minimum": 1, "maximum": 100},
                        "format": _enum(
                            [f.value for f in OutputFormat] + sorted(FORMAT_ALIASES),
                            OutputFormat.ORIGINAL.value,
                        ),
                        "max_width": {"type": "integer", "minimum": 1, "maximum": MAX_RESIZE_PX},
                        "max_height": {"type": "integer", "minimum": 1, "maximum": MAX_RESIZE_PX},
                        "keep_metadata": _enum([k.value for k in KeepMetadata], KeepMetadata.ICC.value),
                        "accept": {
                            "type": "string",
                            "pattern": rf"^(?i:{_ACCEPT_ITEM}(,{_ACCEPT_ITEM})*)?$",
                            "description": (
                                f"formats the site can serve, among {', '.join(_ACCEPTED_NAMES)} "
                                "(e.g. webp,avif), or a browser's Accept header as is"
                            ),
                        },
                        "sizes": {
                            "type": "string",
                            "pattern": rf"^\s*{_SIZE}(\s*,\s*{_SIZE}){{0,{MAX_SIZES - 1}}}\s*,?\s*$",
                            "description": (
                                "resized copies from the same upload, charged once: name:WxH (fit "
                                "inside, 0 = that side free) or name:WxH:crop (centre crop), "
                                f"comma-separated, at most {MAX_SIZES}, names once each; a box not smaller "
                                "than the upload is refused. Each is listed in the status and downloaded "
                                "with ?size=NAME"
                            ),
                            "example": "thumbnail:150x150:crop,medium:300x300,large:1024x1024",
                        },
                        "accept_for": {
                            **_enum([a.value for a in AcceptFor], AcceptFor.ALL.value),
                            "description": (
                                "case-insensitive; with format=auto, which outputs get the accepted "
                                "formats: all (the image and each size) or sizes (the image keeps the "
                                "upload's format, for a site that serves only the sizes in other formats)"
                            ),
                        },
                    },
                },
                "encoding": {"file": {"contentType": UPLOAD_TYPES}},
            }
        },
    },
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": "a repeat with the same key returns the same task and is charged once (24 h)",
        }
    ],
}

METRICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Prometheus text exposition format 0.0.4",
        "content": {"text/plain; version=0.0.4; charset=utf-8": {"schema": {"type": "string"}}},
    }
}
