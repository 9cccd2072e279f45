"""What makes two uploads the same work: one token, the same bytes, the same options once normalized.

The hash covers the token's hash too, so equal files of two tokens never share a value (nothing is reused
across tokens, and the tasks table does not tell who uploaded the same image as whom).
"""

from __future__ import annotations

import hashlib
import json

from pixpress import imaging
from pixpress.imaging.types import OptimizeOptions

VERSION = b"pixpress-content-1"  # bump when the normalized options change meaning


def content_hash(*, token_hash: str, options: OptimizeOptions, data: bytes) -> str:
    """SHA-256 hex of the token hash, the options in canonical JSON and the upload's bytes."""
    canonical = json.dumps(imaging.options_to_dict(options), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(VERSION)
    for part in (token_hash.encode(), canonical.encode()):
        digest.update(len(part).to_bytes(8, "big") + part)  # length-prefixed: no two splits alike
    digest.update(data)
    return digest.hexdigest()
