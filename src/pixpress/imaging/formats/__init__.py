"""Container formats, read and written on the raw bytes before any decoder.

What type a file is (sniff: magic bytes; isobmff: the HEIF/AVIF boxes), the bounded submit-time walk of
its container (structure, with png_chunks, apng_chunks, png_stream, jpeg_segments, jpeg_tables,
jpeg_scan_size, gif_blocks), the rows a damaged file shows (png_stream, jpeg_partial), a PNG rewritten
whole (png_repair) and a JPEG's MPF index of the images it carries (mpf). A module belongs here when it
reads or writes container structure on bytes and needs no libvips image. formats/ imports nothing of
imaging outside itself but `types`, and no pyvips; its errors come from pixpress.errors (import-linter
checks it: pyproject.toml).
"""
