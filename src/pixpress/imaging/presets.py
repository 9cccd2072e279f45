"""Encoder settings per mode and format: the first probe of the quality search, the fixed setting of an
animation (one preset for every frame), the encoder efforts, the JPEG search's tables and the PNG
palette trials.

The per-mode qualities were chosen by measuring SSIMULACRA2 (the `ssimulacra2` package, reference = the
decoded source) on six corpus photos (kodim03, kodim08, coffee, astronaut, hubble_deep_field, rocket)
against the targets in Settings (target_lossy=70, target_glossy=80). Mean (min) score and total bytes
for the six:

| encoder, setting                        | SSIMULACRA2 | bytes   |
|-----------------------------------------|-------------|---------|
| JPEG mozjpeg quant_table 0, q80 4:2:0   | 71.6 (58.1) | 356 321 | (5 images)
| JPEG mozjpeg quant_table 3, q80 4:2:0   | 72.4 (61.0) | 328 892 | (5 images) -> table 3: -8% bytes
| JPEG table 3, q78 4:2:0                 | 69.7 (59.0) | 328 538 |
| JPEG table 3, q86 4:4:4                 | 80.5 (78.2) | 659 688 |
| JPEG table 3, q88 4:4:4                 | 81.9 (79.8) | 725 161 |
| WebP q78 (effort 4, smart subsample)    | 72.2 (67.5) | 352 156 |
| WebP q85                                | 80.2 (76.8) | 475 528 | (5 images)
| AVIF q58 (aom, effort 4)                | 71.5 (65.9) | 238 198 |
| AVIF q68                                | 78.8 (74.2) | 366 043 |
| AVIF q70                                | 80.8 (79.9) | 188 347 | (4 images)

So: lossy = JPEG q80, WebP q78, AVIF q58; glossy = JPEG q86 4:4:4 (4:2:0 tops out near 75 even
at q85), WebP q85, AVIF q70.

PNG glossy/lossy use a libimagequant palette (the quality is its ceiling) when it reaches the target,
else lossless PNG. libimagequant costs more than the rest of the pipeline; measured on the 10 corpus
photo PNGs (0.14-0.4 MP, one thread, bytes total, score min-max, CPU per image; filter none, deflate 9):

| palette setting (Q80)                     | bytes     | SSIMULACRA2 | CPU ms   |
|-------------------------------------------|-----------|-------------|----------|
| effort 10, dither 1.0, filter all (old)   | 1 876 963 | 76.6-83.3   | 150-1568 |
| effort 6,  dither 1.0                     | 1 470 429 | 76.6-82.9   | 50-506   |
| effort 6,  dither 0.0                     | 1 446 315 | 75.2-82.5   | 48-383   |
| effort 4,  dither 1.0                     | 1 601 392 | 67.8-81.2   | 14-181   |
| effort 4,  dither 0.5                     | 1 561 266 | 72.3-83.7   | 13-165   |
| effort 4,  dither 0.0 (first trial)       | 1 477 754 | 74.4-81.4   | 14-144   |
| effort 3,  dither 0.0                     | 1 484 924 | 71.0-80.8   | 8-121    |

(CPU: the encode alone, one run each on a busy machine; the old row is the whole default mode. Filter
none alone, at effort 10: astronaut -21%, kodim03 -31%, kodim05 -4%.) Effort 10 undithered would save
another 0-2% over effort 4 undithered at 4-10x the CPU.
Dithering costs bytes and, by SSIMULACRA2, quality too, except on smooth gradients (color.png: 18 undithered,
43 dithered). libpng's adaptive filter ("all") makes palette files 20-30% larger. Lower Q (fewer colours)
saves another 5-20% where the score has room (coffee Q60: -20% at 76.1) but every probe is a fresh
quantisation (4x a plain encode), so there is no Q search. oxipng on the palette file: -4 to -9% for as
much CPU again; not used. See PNG_PALETTE_TRIALS and `python -m bench.png_paths`. GIF quality maps to the
allowed inter-frame error.
"""

from __future__ import annotations

from dataclasses import dataclass

from pixpress.imaging.types import ImageFormat, Mode

DEFAULT_QUALITY: dict[Mode, dict[ImageFormat, int]] = {
    Mode.LOSSY: {
        ImageFormat.JPEG: 80,
        ImageFormat.WEBP: 78,
        ImageFormat.AVIF: 58,
        ImageFormat.PNG: 80,
        ImageFormat.GIF: 80,
    },
    Mode.GLOSSY: {
        ImageFormat.JPEG: 86,
        ImageFormat.WEBP: 85,
        ImageFormat.AVIF: 70,
        ImageFormat.PNG: 90,
        ImageFormat.GIF: 90,
    },
}

# An explicit JPEG quality keeps full-resolution chroma from this setting up (glossy: no colour bleeding
# on edges). The quality search chooses chroma resolution itself (see JPEG_SEARCH below).
JPEG_NO_SUBSAMPLE_FROM = 86

# The quality search's JPEG quantisation table per target, measured on corpus/photo (up to 4 MP,
# smallest mozjpeg 4:2:0 file reaching the target per image, median bytes against Pillow's at the same
# target; `python -m bench.jpeg_tables`):
#   table           0      1      2      3      4      5      6      7      8
#   SSIMULACRA2 70  0.959  1.058  0.869  0.883  0.886  0.855  0.918  0.973  0.926
#   SSIMULACRA2 80  1.014  1.028  0.920  0.942  0.977  0.931  1.161  0.985  0.922
# So Klein's table (5) below 75 and the flat table (2) from 75 up.
JPEG_SEARCH_TABLE_BELOW_75 = 5
JPEG_SEARCH_TABLE_FROM_75 = 2
# 4:2:0 is smaller at the same score until it needs about this setting; an image that 4:2:0 cannot
# bring to the target by then (fine colour detail: hubble 0.61x, rocket, kodim05) is searched again with
# full-resolution chroma.
JPEG_SEARCH_SUBSAMPLED_UP_TO = 89


def jpeg_search_table(target: float) -> int:
    return JPEG_SEARCH_TABLE_BELOW_75 if target < 75 else JPEG_SEARCH_TABLE_FROM_75


MOZJPEG = {
    "optimize_coding": True,
    "interlace": True,  # progressive: smaller for photos over ~10 kB and renders early
    "trellis_quant": True,
    "overshoot_deringing": True,
    "optimize_scans": True,
    "quant_table": 3,  # ImageMagick's table: ~8% smaller than Annex K at equal SSIMULACRA2 here
}
WEBP_EFFORT = 4  # 0-6; 6 costs about 2x the time for ~1-2% size
WEBP_LOSSLESS_EFFORT = 6
AVIF_EFFORT = 4  # 0-9 (aom speed 9-0); 4 is libvips' default and a fair time/size balance
# The quality search probes AVIF at this cheaper effort, then encodes once at the shipped one (variants.py,
# cheap_probes.py): 1/45 of effort 4's CPU per probe. WebP is probed at its shipped effort: effort 2 costs
# 0.7x as much and predicts effort 4's score poorly (-1.7 to +1.4 points at the same quality).
# `python -m bench.encoder_efforts`.
AVIF_PROBE_EFFORT = 0
PROBE_EFFORT = {ImageFormat.AVIF: AVIF_PROBE_EFFORT}
FINAL_ENCODES = 3  # at most this many encodes at the shipped effort after cheap probes (cheap_probes.py)
PNG_EFFORT = 10  # libimagequant speed 1 (best palette): explicit qualities and the last palette trial
PNG_PALETTE_COMPRESSION = 9  # deflate 9 vs 6 on palette indices: 2-4% smaller for ~10 ms at 0.4 MP


@dataclass(frozen=True)
class PaletteTrial:
    effort: int
    dither: float
    # Skipped when the best score so far lies more than this under the target. On the corpus, effort
    # 10 added at most 5.6 points to the better of the two effort-4 palettes (hopper.png: 67.6 -> 73.2);
    # dithering is what rescues gradients (color.png: 18 -> 43), hence both effort-4 trials first.
    within: float | None = None


# Lossy/glossy PNG, cheapest first; the first palette reaching the target wins (see the header).
PNG_PALETTE_TRIALS = (
    PaletteTrial(effort=4, dither=0.0),
    PaletteTrial(effort=4, dither=1.0),
    PaletteTrial(effort=PNG_EFFORT, dither=1.0, within=10.0),  # the palette of the old single encode
)
GIF_EFFORT = 7


def default_quality(mode: Mode, fmt: ImageFormat) -> int | None:
    """The fixed encoder quality for `mode`, or None in lossless mode."""
    if mode is Mode.LOSSLESS:
        return None
    return DEFAULT_QUALITY[mode][fmt]
