"""Bytes and SSIMULACRA2 of pixpress's output next to Pillow's encoders, at common settings and at
matched quality (the smallest output of each encoder reaching a score target)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pyvips
from PIL import Image as PILImage

from bench.common import BenchConfig, median
from pixpress import imaging
from pixpress.imaging.ssimulacra2 import Reference
from pixpress.imaging.types import ImageFormat, KeepMetadata, Limits, Mode, OptimizeOptions, OutputFormat

FORMATS = ("jpeg", "png", "webp", "avif")
LOSSY = ("jpeg", "webp", "avif")
TARGETS = (70.0, 80.0)
PILLOW_COMMON = {
    "jpeg": {"format": "JPEG", "quality": 80, "optimize": True, "progressive": True},
    "png": {"format": "PNG", "optimize": True},
    "webp": {"format": "WEBP", "quality": 80},
    "avif": {"format": "AVIF", "quality": 80},
}
PILLOW_FORMAT = {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}


@dataclass(frozen=True)
class CommonRow:
    image: str
    format: str
    pixpress_bytes: int
    pixpress_score: float
    pillow_bytes: int
    pillow_score: float


@dataclass(frozen=True)
class MatchedRow:
    image: str
    format: str
    target: float
    pixpress_bytes: int | None
    pillow_bytes: int | None

    @property
    def ratio(self) -> float | None:
        if self.pixpress_bytes is None or self.pillow_bytes is None:
            return None
        return self.pixpress_bytes / self.pillow_bytes


def source_pixels(path: Path, max_mp: float | None = None) -> pyvips.Image:
    """The image as a browser shows it (oriented, its colour profile applied, 8-bit sRGB, alpha
    flattened on white), untagged, so every encoder starts from the same pixels."""
    image = pyvips.Image.new_from_buffer(path.read_bytes(), "").autorot()
    if image.get_typeof("icc-profile-data"):
        image = image.icc_transform("srgb", embedded=True, intent="relative").copy()
        image.remove("icc-profile-data")
    if max_mp and image.width * image.height > max_mp * 1e6:
        scale = (max_mp * 1e6 / (image.width * image.height)) ** 0.5
        image = image.resize(scale)
    image = image.colourspace("srgb") if image.interpretation != "srgb" else image
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    return image.cast("uchar")


def pixpress_encode(png: bytes, fmt: str, quality: int | None) -> bytes:
    options = OptimizeOptions(
        mode=Mode.LOSSY, quality=quality, format=OutputFormat(fmt), keep_metadata=KeepMetadata.NONE
    )
    return imaging.optimize(png, options=options, limits=Limits()).image.data


def pillow_encode(png: bytes, fmt: str, quality: int | None) -> bytes:
    image = PILImage.open(io.BytesIO(png)).convert("RGB")
    buffer = io.BytesIO()
    settings: dict[str, Any] = dict(PILLOW_COMMON[fmt])
    if quality is not None:
        settings["quality"] = quality
    image.save(buffer, **settings)
    return buffer.getvalue()


def _at_quality(
    encoder: Callable[[bytes, str, int | None], bytes], png: bytes, fmt: str, quality: int
) -> bytes:
    return encoder(png, fmt, quality)


def smallest_reaching(
    encode: Callable[[int], bytes],
    score: Callable[[bytes], float],
    target: float,
    cache: dict[int, tuple[bytes, float]],
) -> bytes | None:
    """Bisection over quality 1-100 for the lowest setting scoring >= target (results cached per q)."""

    def at(q: int) -> tuple[bytes, float]:
        if q not in cache:
            data = encode(q)
            cache[q] = (data, score(data))
        return cache[q]

    low, high = 1, 100
    if at(high)[1] < target:
        return None
    while low < high:
        middle = (low + high) // 2
        if at(middle)[1] >= target:
            high = middle
        else:
            low = middle + 1
    reaching = [data for q, (data, s) in cache.items() if s >= target]
    return min(reaching, key=len)


def run(
    config: BenchConfig, log: Callable[[str], None]
) -> tuple[list[CommonRow], list[MatchedRow], list[SmartRow]]:
    common: list[CommonRow] = []
    matched: list[MatchedRow] = []
    smart: list[SmartRow] = []
    formats = ("jpeg",) if config.smoke else FORMATS
    for kind in ("photo", "graphic"):
        for path in config.images(kind):
            full = source_pixels(path)
            png = bytes(full.pngsave_buffer(compression=1))
            reference = Reference(full)
            for fmt in formats:
                ours = pixpress_encode(png, fmt, None)
                theirs = pillow_encode(png, fmt, None)
                common.append(
                    CommonRow(
                        path.name,
                        fmt,
                        len(ours),
                        reference.score_bytes(ours),
                        len(theirs),
                        reference.score_bytes(theirs),
                    )
                )
            log(f"compression: {path.name} common settings done")
            if kind != "photo" and not config.smoke:
                continue
            small = source_pixels(path, config.matched_max_mp)
            small_png = bytes(small.pngsave_buffer(compression=1))
            small_reference = Reference(small)
            for fmt in ("jpeg",) if config.smoke else LOSSY:
                caches: dict[str, dict[int, tuple[bytes, float]]] = {"pixpress": {}, "pillow": {}}
                encoders: dict[str, Callable[[int], bytes]] = {
                    "pixpress": partial(_at_quality, pixpress_encode, small_png, fmt),
                    "pillow": partial(_at_quality, pillow_encode, small_png, fmt),
                }
                for target in TARGETS:
                    found = {
                        name: smallest_reaching(encode, small_reference.score_bytes, target, caches[name])
                        for name, encode in encoders.items()
                    }
                    matched.append(
                        MatchedRow(
                            path.name,
                            fmt,
                            target,
                            len(found["pixpress"]) if found["pixpress"] else None,
                            len(found["pillow"]) if found["pillow"] else None,
                        )
                    )
                if fmt == "jpeg":
                    smart.extend(smart_rows(path.name, small_png, small_reference, caches["pillow"]))
            log(f"compression: {path.name} matched quality done")
    return common, matched, smart


@dataclass(frozen=True)
class SmartRow:
    """pixpress's own choice (quality search at the lossy target) against Pillow's smallest JPEG
    scoring at least as well."""

    image: str
    output: str  # jpeg | auto
    chosen_format: str
    pixpress_bytes: int
    pixpress_score: float
    pillow_jpeg_bytes: int | None

    @property
    def ratio(self) -> float | None:
        return self.pixpress_bytes / self.pillow_jpeg_bytes if self.pillow_jpeg_bytes else None


def smart_rows(
    name: str, png: bytes, reference: Reference, cache: dict[int, tuple[bytes, float]]
) -> list[SmartRow]:
    rows = []
    for output, options in (
        ("jpeg", OptimizeOptions(format=OutputFormat.JPEG, keep_metadata=KeepMetadata.NONE)),
        (
            "auto",
            OptimizeOptions(
                format=OutputFormat.AUTO,
                accept=frozenset({ImageFormat.WEBP, ImageFormat.AVIF}),
                keep_metadata=KeepMetadata.NONE,
            ),
        ),
    ):
        image = imaging.optimize(png, options=options, limits=Limits()).image
        score = reference.score_bytes(image.data)
        pillow = smallest_reaching(
            partial(_at_quality, pillow_encode, png, "jpeg"), reference.score_bytes, score, cache
        )
        rows.append(
            SmartRow(
                name, output, image.format.value, image.size_bytes, score, len(pillow) if pillow else None
            )
        )
    return rows


def median_ratios(matched: list[MatchedRow]) -> dict[tuple[str, float], float]:
    ratios: dict[tuple[str, float], float] = {}
    for fmt in LOSSY:
        for target in TARGETS:
            values = [
                r.ratio for r in matched if r.format == fmt and r.target == target and r.ratio is not None
            ]
            if values:
                ratios[(fmt, target)] = median(values)
    return ratios
