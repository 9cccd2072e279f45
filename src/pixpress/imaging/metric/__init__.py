"""The perceptual metric and the search that uses it: SSIMULACRA2 and the quality search.

SSIMULACRA2 (ssimulacra2, its blur in ssimulacra2_blur), the search for the lowest encoder quality that
reaches a score (quality_search) and its probes at a cheap encoder effort (cheap_probes). A module
belongs here when it computes scores or searches over them, whatever the pixels' source. metric/ imports
nothing of imaging but `types`, never steps/ nor formats/ (import-linter checks it: pyproject.toml);
perceptual.py, which shows both sides as a browser does (steps/colour.py) before scoring them here, is
part of the engine beside variants.py.
"""
