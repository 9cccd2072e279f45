"""The steps of the pipeline, each one job on a Context, in the order pipeline.py runs them.

probe (the submit-time checks, again in the worker), decode (with shrink on load, heic and
animation_frames for what libvips does not read, rows_shown for a file whose data stops early), gain_map
(an HDR gain map found and carried), orient, resize, colour (icc, compact_profiles), then the savers:
encode, lossless, animation_save, plain (a plain save in the upload's format) and never_bigger (the
rule every output keeps); metadata is how every step reads an image's metadata safely. A module belongs
here when it does one step's work on pixels or on encoded outputs. steps/ may import formats/, vips and
the engine's shared parts (types, context, deadline, limits, plan, presets), never metric/ nor what runs
the steps (pipeline, sizes, variants, perceptual): import-linter checks it (pyproject.toml).
"""
