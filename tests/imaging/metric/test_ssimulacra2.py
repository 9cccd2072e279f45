"""pixpress' SSIMULACRA2 against the reference `ssimulacra2` package: corpus images, images made here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pyvips
from bench.ssimulacra2_agreement import load_rgb  # pixels both scorers read alike
from ssimulacra2 import compute_ssimulacra2
from ssimulacra2.ssimulacra2 import blur_image

from pixpress.errors import InvalidImage
from pixpress.imaging.metric import ssimulacra2
from pixpress.imaging.metric.ssimulacra2_blur import blur
from tests.conftest import corpus_files

CORPUS_IMAGES = [*corpus_files("photo"), *corpus_files("graphic")]
DISTORTIONS = {
    "jpeg q30": lambda image: image.jpegsave_buffer(Q=30),
    "jpeg q60": lambda image: image.jpegsave_buffer(Q=60),
    "jpeg q90": lambda image: image.jpegsave_buffer(Q=90),
    "webp q60": lambda image: image.webpsave_buffer(Q=60),
}


def reference_score(original: pyvips.Image, distorted: pyvips.Image, tmp_path: Path) -> float:
    original.pngsave(str(tmp_path / "original.png"), compression=1)
    distorted.pngsave(str(tmp_path / "distorted.png"), compression=1)
    return float(compute_ssimulacra2(str(tmp_path / "original.png"), str(tmp_path / "distorted.png")))


def from_array(pixels: np.ndarray) -> pyvips.Image:
    height, width, bands = pixels.shape
    image = pyvips.Image.new_from_memory(np.ascontiguousarray(pixels).data, width, height, bands, "uchar")
    return image.copy(interpretation="srgb")


def noise_image(width: int, height: int, seed: int, bands: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(height // 4 + 1, width // 4 + 1, bands), dtype=np.uint8)
    smooth = np.kron(base, np.ones((4, 4, 1), dtype=np.uint8))[:height, :width]
    return np.clip(smooth.astype(int) + rng.integers(-20, 21, size=smooth.shape), 0, 255).astype(np.uint8)


@pytest.mark.slow
@pytest.mark.timeout(1200)  # the reference package: ~1.6 s per megapixel, four scores of a 12-MP photo
@pytest.mark.parametrize("path", CORPUS_IMAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_agrees_with_the_reference_package_on_every_corpus_image(path: Path, tmp_path: Path) -> None:
    original = load_rgb(path)
    prepared = ssimulacra2.Reference(original)
    for name, encode in DISTORTIONS.items():
        distorted = pyvips.Image.new_from_buffer(encode(original), "").copy_memory()
        expected = reference_score(original, distorted, tmp_path)
        ours = prepared.score(distorted)
        # The issue asks for 1 point; float32 with mean-centring stays within hundredths.
        assert abs(ours - expected) < 0.1, f"{name}: ours {ours:.4f}, reference {expected:.4f}"


@pytest.mark.parametrize(("width", "height"), [(9, 13), (8, 8), (17, 40), (33, 70), (70, 33), (131, 67)])
def test_agrees_on_small_odd_sizes_with_fewer_scales(width: int, height: int, tmp_path: Path) -> None:
    original = from_array(noise_image(width, height, seed=width * height))
    distorted = pyvips.Image.new_from_buffer(original.jpegsave_buffer(Q=50), "")
    expected = reference_score(original, distorted, tmp_path)
    assert ssimulacra2.score(original, distorted) == pytest.approx(expected, abs=0.05)


def test_every_term_computed_agrees_with_the_skipped_light_ones(corpus: Path) -> None:
    original = load_rgb(corpus / "photo" / "kodim05.png")
    for quality in (20, 50, 80, 95):
        distorted = pyvips.Image.new_from_buffer(original.jpegsave_buffer(Q=quality), "")
        full = ssimulacra2.score_pixels(original.numpy(), distorted.numpy(), min_weight=0.0)
        fast = ssimulacra2.score_pixels(original.numpy(), distorted.numpy())
        assert fast == pytest.approx(full, abs=0.01)


# Scores of the implementation before the speed-up (commit a63fe0f, libvips 8.18 encoders), as
# (JPEG q70, JPEG q85, WebP q75) of each image against itself: optimisations must not move them.
PINNED_SCORES = {
    "photo/kodim03.png": (71.1692, 80.7064, 67.0257),
    "photo/chelsea.png": (74.8184, 82.9017, 71.1198),  # odd width
    "photo/kodim05.png": (35.3132, 44.6298, 46.6589),  # small: five scales
    "graphic/logo.png": (73.9485, 80.3525, 73.9854),  # alpha: two backgrounds
    "graphic/text.png": (91.0934, 94.6462, 86.2971),  # grey
}


@pytest.mark.parametrize("name", PINNED_SCORES)
def test_scores_stay_where_they_were_pinned(name: str, corpus: Path) -> None:
    original = pyvips.Image.new_from_file(str(corpus / name)).copy_memory()
    reference = ssimulacra2.Reference(original)
    encoded = (original.jpegsave_buffer(Q=70), original.jpegsave_buffer(Q=85), original.webpsave_buffer(Q=75))
    scores = tuple(reference.score_bytes(data) for data in encoded)
    assert scores == pytest.approx(PINNED_SCORES[name], abs=0.01)


def test_blur_matches_the_reference_blur() -> None:
    rng = np.random.default_rng(7)
    for height, width in [(8, 8), (9, 13), (37, 70), (64, 64), (69, 101), (100, 300)]:
        plane = rng.random((height, width), dtype=np.float32)
        # The reference blurs planes transposed: (width, height, channels).
        expected = blur_image(plane.T[:, :, None].astype(np.float64))[:, :, 0].T
        out, scratch = np.empty_like(plane), np.empty_like(plane)
        blur(plane, out=out, scratch=scratch)
        np.testing.assert_allclose(out, expected, atol=1e-6)


def test_identical_images_score_100(corpus: Path) -> None:
    image = load_rgb(corpus / "photo" / "kodim05.png")
    assert ssimulacra2.score(image, image) == 100.0
    assert ssimulacra2.score_bytes(image.pngsave_buffer(), image.webpsave_buffer(lossless=True)) == 100.0


def test_score_falls_as_jpeg_quality_falls(corpus: Path) -> None:
    reference = ssimulacra2.Reference(load_rgb(corpus / "photo" / "kodim03.png"))
    original = load_rgb(corpus / "photo" / "kodim03.png")
    scores = [reference.score_bytes(original.jpegsave_buffer(Q=q)) for q in (95, 80, 60, 30, 10)]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 85 and scores[-1] < 40


def test_prepared_reference_scores_like_one_shot(corpus: Path) -> None:
    original = load_rgb(corpus / "photo" / "chelsea.png")
    prepared = ssimulacra2.Reference(original)
    for quality in (40, 85):
        data = original.webpsave_buffer(Q=quality)
        distorted = pyvips.Image.new_from_buffer(data, "")
        assert prepared.score_bytes(data) == ssimulacra2.score(original, distorted)
        assert ssimulacra2.score_bytes(original.pngsave_buffer(), data) == pytest.approx(
            prepared.score(distorted)
        )


def test_alpha_counts_the_worse_of_white_and_black_backgrounds(corpus: Path) -> None:
    original = pyvips.Image.new_from_file(str(corpus / "graphic" / "transparent.png")).copy_memory()
    assert original.hasalpha()
    distorted = pyvips.Image.new_from_buffer(original.webpsave_buffer(Q=40), "")
    assert distorted.hasalpha()
    on = {
        bg: ssimulacra2.score(
            original.flatten(background=[bg] * 3).cast("uchar"),
            distorted.flatten(background=[bg] * 3).cast("uchar"),
        )
        for bg in (255, 0)
    }
    assert on[255] != pytest.approx(on[0], abs=0.01)  # the backgrounds do differ here
    assert ssimulacra2.score(original, distorted) == pytest.approx(min(on.values()))


def test_colour_under_full_transparency_does_not_count() -> None:
    pixels = noise_image(64, 48, seed=3, bands=4)
    pixels[:, :32, 3] = 0  # left half invisible
    pixels[:, 32:, 3] = 255
    changed = pixels.copy()
    changed[:, :32, :3] = 255 - changed[:, :32, :3]
    assert ssimulacra2.score(from_array(pixels), from_array(changed)) == 100.0
    alpha_changed = pixels.copy()
    alpha_changed[:, 32:, 3] = 128  # the visible half turns half transparent
    assert ssimulacra2.score(from_array(pixels), from_array(alpha_changed)) < 70


def test_grey_input_is_scored_as_srgb(corpus: Path) -> None:
    grey = pyvips.Image.new_from_file(str(corpus / "graphic" / "text.png")).copy_memory()
    assert grey.bands == 1
    distorted = pyvips.Image.new_from_buffer(grey.jpegsave_buffer(Q=50), "")
    as_rgb = ssimulacra2.score(grey.colourspace("srgb"), distorted.colourspace("srgb"))
    assert ssimulacra2.score(grey, distorted) == pytest.approx(as_rgb)


def test_images_smaller_than_8_pixels_score_100_like_the_reference() -> None:
    tiny = from_array(noise_image(7, 30, seed=1))
    other = from_array(noise_image(7, 30, seed=2))
    assert ssimulacra2.score(tiny, other) == 100.0


def test_size_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="distorted image is"):
        ssimulacra2.score(from_array(noise_image(20, 20, seed=1)), from_array(noise_image(21, 20, seed=1)))


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, bytes(range(256)) * 8],
    ids=["empty", "text", "png-signature-then-zeros", "byte-ramp"],
)
def test_undecodable_bytes_raise_invalid_image(data: bytes) -> None:
    good = from_array(noise_image(32, 32, seed=5)).pngsave_buffer()
    with pytest.raises(InvalidImage):
        ssimulacra2.score_bytes(good, data)
    with pytest.raises(InvalidImage):
        ssimulacra2.score_bytes(data, good)


def test_truncated_jpeg_raises_invalid_image(corpus: Path) -> None:
    data = (corpus / "photo" / "rocket.jpg").read_bytes()
    reference = ssimulacra2.Reference(load_rgb(corpus / "photo" / "rocket.jpg"))
    with pytest.raises(InvalidImage):
        reference.score_bytes(data[: len(data) // 3])
