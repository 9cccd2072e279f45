"""Bytes and SSIMULACRA2 of pixpress's output next to Pillow's encoders, at common settings and at
matched quality (the smallest output of each encoder reaching a score target).

pixpress gets the upload as a site sends it (its pixels as stored, with its colour profile: a PNG of
them, so every image goes the same path) and runs with the default `keep_metadata=icc`; Pillow encodes
the image as a browser shows it (colour profile applied, untagged sRGB). Every score is colour-managed:
the reference is the image as a browser shows it, and an output that carries a profile is taken through
it to sRGB first (as_shown), as a browser does. Scores come from the reference `ssimulacra2` package or
from pixpress's fast implementation; the fast one is used only when it agrees with the reference within
1 point (the agreement section of the run, plus a spot check on the very outputs this module produces),
unless --metric forces a choice.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import pyvips
from PIL import Image as PILImage
from PIL import features

from bench.common import BenchConfig, median
from pixpress import imaging
from pixpress.imaging.metric.ssimulacra2 import Reference
from pixpress.imaging.types import ImageFormat, Limits, Mode, OptimizeOptions, OutputFormat

FORMATS = ("jpeg", "png", "webp", "avif")
LOSSY = ("jpeg", "webp", "avif")
TARGETS = (70.0, 80.0)
KINDS = ("photo", "graphic")
AGREEMENT_LIMIT = 1.0  # points: the fast metric replaces the reference only within this
SPOT_CHECK_MAX_MP = 1.0  # outputs of images up to this size are scored by both metrics
PILLOW_COMMON = {
    "jpeg": {"format": "JPEG", "quality": 80, "optimize": True, "progressive": True},
    "png": {"format": "PNG", "optimize": True},
    "webp": {"format": "WEBP", "quality": 80},
    "avif": {"format": "AVIF", "quality": 80},
}


class Scorer(Protocol):
    def score_bytes(self, distorted: bytes) -> float: ...


@dataclass(frozen=True)
class CommonRow:
    kind: str
    image: str
    format: str
    pixpress_bytes: int
    pixpress_score: float
    pillow_bytes: int | None
    pillow_score: float | None

    @property
    def ratio(self) -> float | None:
        return self.pixpress_bytes / self.pillow_bytes if self.pillow_bytes else None


@dataclass(frozen=True)
class MatchedRow:
    kind: str
    image: str
    format: str
    target: float
    pixpress_bytes: int | None
    pillow_bytes: int | None
    pixpress_encodes: int = 0
    pillow_encodes: int = 0

    @property
    def ratio(self) -> float | None:
        if self.pixpress_bytes is None or self.pillow_bytes is None:
            return None
        return self.pixpress_bytes / self.pillow_bytes


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


@dataclass(frozen=True)
class SpotRow:
    """One output scored by both metrics."""

    image: str
    format: str
    encoder: str
    fast: float
    reference: float

    @property
    def difference(self) -> float:
        return self.fast - self.reference


@dataclass
class CompressionFigures:
    common: list[CommonRow] = field(default_factory=list)
    matched: list[MatchedRow] = field(default_factory=list)
    smart: list[SmartRow] = field(default_factory=list)
    spot: list[SpotRow] = field(default_factory=list)
    metric: str = "fast"  # fast | reference
    metric_reason: str = ""
    notes: list[str] = field(default_factory=list)
    matched_max_mp: float | None = None
    downscaled: list[str] = field(default_factory=list)


def pillow_has_avif() -> bool:
    return bool(features.check("avif"))


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
    return image.cast("uchar").copy_memory()


def upload_png(path: Path, max_mp: float | None = None) -> bytes:
    """The upload as pixpress receives it, normalised to a PNG: its pixels as stored (oriented, 8-bit,
    alpha on white, downscaled past `max_mp` like source_pixels) with its colour profile, not converted."""
    image = pyvips.Image.new_from_buffer(path.read_bytes(), "").autorot()
    if max_mp and image.width * image.height > max_mp * 1e6:
        image = image.resize((max_mp * 1e6 / (image.width * image.height)) ** 0.5)
    if image.format != "uchar":
        image = image.colourspace("srgb")  # 16-bit to 8 (the profile stays attached)
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255]).cast("uchar")
    return bytes(image.pngsave_buffer(compression=1, keep="icc"))


def as_shown(data: bytes) -> pyvips.Image:
    """An output as a browser shows it: through its embedded profile to 8-bit sRGB, untagged."""
    image = pyvips.Image.new_from_buffer(data, "")
    if image.get_typeof("icc-profile-data"):
        image = image.icc_transform("srgb", embedded=True, intent="relative", depth=8).copy()
        image.remove("icc-profile-data")
    return image


class Managed:
    """pixpress's fast SSIMULACRA2 on outputs as a browser shows them."""

    def __init__(self, original: pyvips.Image) -> None:
        self.reference = Reference(original)

    def score_bytes(self, distorted: bytes) -> float:
        return self.reference.score(as_shown(distorted))


def megapixels(image: pyvips.Image) -> float:
    return float(image.width * image.height) / 1e6


class ReferencePackage:
    """The reference `ssimulacra2` package (PyPI), which reads files: both images go through PNG,
    the distorted one decoded by libvips to 8-bit sRGB first (what the fast metric sees too)."""

    def __init__(self, original: pyvips.Image, workdir: Path) -> None:
        self.workdir = workdir
        self.original = workdir / "original.png"
        original.pngsave(str(self.original), compression=1)

    def score_bytes(self, distorted: bytes) -> float:
        from ssimulacra2 import compute_ssimulacra2

        image = as_shown(distorted)
        if image.interpretation != "srgb" or image.format != "uchar":
            image = image.colourspace("srgb").cast("uchar")
        if image.hasalpha():
            image = image.flatten(background=[255, 255, 255]).cast("uchar")
        path = self.workdir / "distorted.png"
        image.pngsave(str(path), compression=1)
        return float(compute_ssimulacra2(str(self.original), str(path)))


def pixpress_encode(upload: bytes, fmt: str, quality: int | None) -> bytes:
    """pixpress's output of the upload (upload_png): default lossy mode (its own search) when quality is
    None, else that setting; the default keep_metadata (icc)."""
    options = OptimizeOptions(mode=Mode.LOSSY, quality=quality, format=OutputFormat(fmt))
    return imaging.optimize(upload, options=options, limits=Limits()).image.data


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
    """Bisection over quality 1-100 for the lowest setting scoring >= target (results cached per q,
    so a second target on the same image reuses the first one's encodes). Returns the smallest of
    all the encodes tried that reach the target, or None when quality 100 does not."""

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
    reaching = [data for data, s in cache.values() if s >= target]
    return min(reaching, key=len)


def choose_metric(requested: str, spot: list[SpotRow], agreement_max: float | None) -> tuple[str, str]:
    """(metric, why). `auto` takes the fast metric only if every comparison in this run agrees
    within AGREEMENT_LIMIT points."""
    differences = [abs(row.difference) for row in spot]
    if agreement_max is not None:
        differences.append(agreement_max)
    worst = max(differences, default=None)
    seen = (
        f"{len(spot)} outputs of this run scored by both"
        + (f", agreement table max |difference| {agreement_max:.4f}" if agreement_max is not None else "")
        + (f"; worst |difference| {worst:.4f} points" if worst is not None else "")
    )
    if requested == "reference":
        return "reference", f"forced by --metric reference ({seen})"
    if requested == "fast":
        return "fast", f"forced by --metric fast ({seen})"
    if worst is None:
        return "reference", "no agreement measured in this run, so the reference package"
    if worst <= AGREEMENT_LIMIT:
        return "fast", f"pixpress's fast SSIMULACRA2, which agrees within {AGREEMENT_LIMIT:g} point ({seen})"
    return (
        "reference",
        f"the reference package: the fast one disagrees by more than {AGREEMENT_LIMIT:g} ({seen})",
    )


def run(
    config: BenchConfig, log: Callable[[str], None], agreement_max: float | None = None
) -> CompressionFigures:
    figures = CompressionFigures(matched_max_mp=config.matched_max_mp)
    avif = pillow_has_avif()
    if not avif:
        figures.notes.append(
            "Pillow here has no AVIF encoder (`PIL.features.check('avif')` is false): the AVIF rows show"
            " pixpress alone and AVIF is left out of the matched comparison."
        )
    formats = ("jpeg",) if config.smoke else FORMATS
    kinds = ("photo",) if config.smoke else KINDS
    images = [(kind, path) for kind in kinds for path in config.images(kind)]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        outputs: dict[tuple[str, str], tuple[bytes, bytes | None]] = {}
        for kind, path in images:
            pixels = source_pixels(path)
            png = bytes(pixels.pngsave_buffer(compression=1))
            upload = upload_png(path)
            fast = Managed(pixels)
            reference = (
                ReferencePackage(pixels, workdir)
                if config.metric != "fast" and (config.smoke or megapixels(pixels) <= SPOT_CHECK_MAX_MP)
                else None
            )
            for fmt in formats:
                ours = pixpress_encode(upload, fmt, None)
                theirs = pillow_encode(png, fmt, None) if fmt != "avif" or avif else None
                outputs[(path.name, fmt)] = (ours, theirs)
                figures.common.append(
                    CommonRow(
                        kind,
                        path.name,
                        fmt,
                        len(ours),
                        fast.score_bytes(ours),
                        len(theirs) if theirs else None,
                        fast.score_bytes(theirs) if theirs else None,
                    )
                )
                if reference is not None:
                    for encoder, data in (("pixpress", ours), ("Pillow", theirs)):
                        if data is not None:
                            figures.spot.append(
                                SpotRow(
                                    path.name,
                                    fmt,
                                    encoder,
                                    fast.score_bytes(data),
                                    reference.score_bytes(data),
                                )
                            )
            log(f"compression: {path.name} common settings done")
        figures.metric, figures.metric_reason = choose_metric(config.metric, figures.spot, agreement_max)
        log(f"compression: scores by {figures.metric}: {figures.metric_reason}")
        if figures.metric == "reference":
            figures.common = rescore_common(images, figures.common, outputs, workdir)
        del outputs
        for kind, path in images:
            full = source_pixels(path)
            pixels = source_pixels(path, config.matched_max_mp)
            if pixels.width != full.width:
                figures.downscaled.append(
                    f"{path.name} ({megapixels(full):.1f} -> {megapixels(pixels):.1f} MP)"
                )
            png = bytes(pixels.pngsave_buffer(compression=1))
            upload = upload_png(path, config.matched_max_mp)
            scorer: Scorer = (
                Managed(pixels) if figures.metric == "fast" else ReferencePackage(pixels, workdir)
            )
            lossy = [f for f in (("jpeg",) if config.smoke else LOSSY) if f != "avif" or avif]
            for fmt in lossy:
                caches: dict[str, dict[int, tuple[bytes, float]]] = {"pixpress": {}, "pillow": {}}
                encoders: dict[str, Callable[[int], bytes]] = {
                    "pixpress": partial(_at_quality, pixpress_encode, upload, fmt),
                    "pillow": partial(_at_quality, pillow_encode, png, fmt),
                }
                for target in TARGETS:
                    found = {
                        name: smallest_reaching(encode, scorer.score_bytes, target, caches[name])
                        for name, encode in encoders.items()
                    }
                    figures.matched.append(
                        MatchedRow(
                            kind,
                            path.name,
                            fmt,
                            target,
                            len(found["pixpress"]) if found["pixpress"] else None,
                            len(found["pillow"]) if found["pillow"] else None,
                            len(caches["pixpress"]),
                            len(caches["pillow"]),
                        )
                    )
                if fmt == "jpeg" and kind == "photo":
                    outputs_wanted = ("jpeg",) if config.smoke else ("jpeg", "auto")
                    figures.smart.extend(
                        smart_rows(path.name, upload, png, scorer, caches["pillow"], outputs_wanted)
                    )
            log(f"compression: {path.name} matched quality done")
    return figures


def rescore_common(
    images: list[tuple[str, Path]],
    common: list[CommonRow],
    outputs: dict[tuple[str, str], tuple[bytes, bytes | None]],
    workdir: Path,
) -> list[CommonRow]:
    """The common-settings scores again, by the reference package."""
    paths = {path.name: path for _, path in images}
    rescored: list[CommonRow] = []
    scorers: dict[str, ReferencePackage] = {}
    for row in common:
        if row.image not in scorers:
            scorers.clear()  # one original on disk at a time
            scorers[row.image] = ReferencePackage(source_pixels(paths[row.image]), workdir)
        scorer = scorers[row.image]
        ours, theirs = outputs[(row.image, row.format)]
        rescored.append(
            CommonRow(
                row.kind,
                row.image,
                row.format,
                row.pixpress_bytes,
                scorer.score_bytes(ours),
                row.pillow_bytes,
                scorer.score_bytes(theirs) if theirs else None,
            )
        )
    return rescored


def smart_rows(
    name: str,
    upload: bytes,
    png: bytes,
    scorer: Scorer,
    cache: dict[int, tuple[bytes, float]],
    outputs: tuple[str, ...],
) -> list[SmartRow]:
    """pixpress as a site uses it (the upload with its profile, the default keep_metadata=icc) against
    Pillow's JPEG of the pixels a browser shows (`png`)."""
    accept = {ImageFormat.WEBP, ImageFormat.AVIF}
    choices = {
        "jpeg": OptimizeOptions(format=OutputFormat.JPEG),
        "auto": OptimizeOptions(format=OutputFormat.AUTO, accept=frozenset(accept)),
    }
    rows = []
    for output in outputs:
        image = imaging.optimize(upload, options=choices[output], limits=Limits()).image
        score = scorer.score_bytes(image.data)
        pillow = smallest_reaching(
            partial(_at_quality, pillow_encode, png, "jpeg"), scorer.score_bytes, score, cache
        )
        rows.append(
            SmartRow(
                name, output, image.format.value, image.size_bytes, score, len(pillow) if pillow else None
            )
        )
    return rows


def median_ratios(matched: list[MatchedRow], kind: str = "photo") -> dict[tuple[str, float], float]:
    ratios: dict[tuple[str, float], float] = {}
    for fmt in LOSSY:
        for target in TARGETS:
            values = [
                r.ratio
                for r in matched
                if r.kind == kind and r.format == fmt and r.target == target and r.ratio is not None
            ]
            if values:
                ratios[(fmt, target)] = median(values)
    return ratios


def matched_counts(matched: list[MatchedRow], kind: str, fmt: str, target: float) -> tuple[int, int]:
    """(images compared, images in the table) for one cell of the headline."""
    rows = [r for r in matched if r.kind == kind and r.format == fmt and r.target == target]
    return sum(1 for r in rows if r.ratio is not None), len(rows)
