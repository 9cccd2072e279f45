"""OpenAPI descriptions of the hand-parsed multipart submit (parsed by hand so auth runs before the body)."""

from __future__ import annotations

from typing import Any

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
                            "description": "JPEG, PNG, WebP, GIF or AVIF",
                        },
                        "mode": {
                            "type": "string",
                            "enum": ["lossless", "glossy", "lossy"],
                            "default": "lossy",
                        },
                        "quality": {"type": "integer", "minimum": 1, "maximum": 100},
                        "format": {
                            "type": "string",
                            "enum": ["original", "jpeg", "png", "webp", "avif", "auto"],
                            "default": "original",
                        },
                        "max_width": {"type": "integer", "minimum": 1},
                        "max_height": {"type": "integer", "minimum": 1},
                        "keep_metadata": {"type": "string", "enum": ["none", "icc", "all"], "default": "icc"},
                        "accept": {
                            "type": "string",
                            "description": "formats the site can serve, e.g. webp,avif",
                        },
                        "sizes": {
                            "type": "string",
                            "description": (
                                "resized copies from the same upload, charged once: name:WxH (fit "
                                "inside, 0 = that side free) or name:WxH:crop (centre crop), "
                                "comma-separated, at most 16, names [a-z0-9_-]{1,40}; a box not smaller "
                                "than the upload is refused. Each is listed in the status and downloaded "
                                "with ?size=NAME"
                            ),
                            "example": "thumbnail:150x150:crop,medium:300x300,large:1024x1024",
                        },
                    },
                }
            }
        },
    },
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": "a repeat with the same key returns the same task and is charged once (24 h)",
        }
    ],
}
