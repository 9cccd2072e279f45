"""The submit's multipart body, parsed once into memory.

Starlette spools a file part over 1 MB to a temporary file and then writes every chunk of it through the
thread pool: about 30 ms of the API's CPU for an 8 MB upload, before the bytes are read back from disk.
An upload is at most PIXPRESS_MAX_UPLOAD_MB (the body limit cuts it off while streaming) and the submit
reads it whole anyway, so it stays in memory and is written once, to storage.
"""

from __future__ import annotations

from contextlib import aclosing

from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from pixpress.api.middleware import MULTIPART_OVERHEAD_BYTES
from pixpress.errors import InvalidOption


async def read_upload_form(request: Request, *, max_fields: int, max_upload_bytes: int) -> FormData:
    """The form of a multipart/form-data request with at most one file, kept in memory; an empty form
    for any other body (the caller then finds no `file`). InvalidOption for a malformed body."""
    content_type = request.headers.get("Content-Type", "")
    if content_type.split(";", 1)[0].strip().lower() != "multipart/form-data":
        return FormData()
    try:
        async with aclosing(request.stream()) as stream:
            parser = MultiPartParser(request.headers, stream, max_files=1, max_fields=max_fields)
            parser.spool_max_size = max_upload_bytes + MULTIPART_OVERHEAD_BYTES  # never a temporary file
            return await parser.parse()
    except MultiPartException as exc:  # malformed multipart, too many parts
        raise InvalidOption(f"Malformed upload: {exc.message}", details={"field": "file"}) from exc
