"""The quality search: on real corpus photos with mozjpeg and pixpress' SSIMULACRA2, and on made-up
encoders whose scores we control."""

from __future__ import annotations

import statistics
from collections.abc import Callable

import numpy as np
import pytest
import pyvips

from pixpress.imaging.metric import ssimulacra2
from pixpress.imaging.metric.quality_search import SearchResult, search_quality
from pixpress.imaging.types import ImageFormat
from tests.conftest import corpus_files

PHOTOS = corpus_files("photo")


def mozjpeg(image: pyvips.Image) -> Callable[[int], bytes]:
    def encode(quality: int) -> bytes:
        data: bytes = image.jpegsave_buffer(
            Q=quality, trellis_quant=True, overshoot_deringing=True, optimize_scans=True, interlace=True
        )
        return data

    return encode


@pytest.fixture(scope="module")
def photos() -> list[tuple[str, pyvips.Image, ssimulacra2.Reference]]:
    loaded = []
    for path in PHOTOS:
        # About 1 MP at most, to keep the test short; the dog photo is 12 MP.
        image = pyvips.Image.thumbnail_buffer(path.read_bytes(), 1024, height=1024, size="down")
        image = image.copy_memory()
        loaded.append((path.name, image, ssimulacra2.Reference(image)))
    return loaded


@pytest.mark.parametrize("target", [70.0, 80.0])
def test_reaches_the_target_on_every_corpus_photo_in_3_encodes_on_average(
    photos: list[tuple[str, pyvips.Image, ssimulacra2.Reference]], target: float
) -> None:
    encodes = []
    for name, image, reference in photos:
        result = search_quality(
            encode=mozjpeg(image), measure=reference.score_bytes, target=target, format=ImageFormat.JPEG
        )
        encodes.append(result.encodes)
        assert result.encodes == len(result.probes) <= 4
        if result.reached:
            # Measured again from scratch: the file really scores at or above the target.
            assert ssimulacra2.score(image, pyvips.Image.new_from_buffer(result.data, "")) >= target, name
            passing = [p for p in result.probes if p.score >= target]
            assert result.size_bytes == min(p.size_bytes for p in passing), name
        else:
            # Only when even q_max misses: then q_max was tried and is what comes back.
            assert result.quality == 95 and result.score < target, name
            assert all(p.score < target for p in result.probes), name
    assert len(encodes) == len(photos)
    assert statistics.mean(encodes) <= 3.0, encodes


def test_mozjpeg_result_is_close_to_the_best_setting(
    photos: list[tuple[str, pyvips.Image, ssimulacra2.Reference]],
) -> None:
    """Against an exhaustive search on one photo: the chosen setting is at most a few steps above the
    lowest that reaches the target."""
    name, image, reference = next(p for p in photos if p[0] == "kodim07.png")
    encode = mozjpeg(image)
    result = search_quality(
        encode=encode, measure=reference.score_bytes, target=75.0, format=ImageFormat.JPEG
    )
    assert result.reached
    lowest = next(q for q in range(30, 96) if reference.score_bytes(encode(q)) >= 75.0)
    assert lowest <= result.quality <= lowest + 3, (name, lowest, result.quality)


class FakeEncoder:
    """Bytes grow with quality; the score is a curve we choose. Counts its encodes."""

    def __init__(self, score_at: Callable[[int], float]) -> None:
        self.score_at = score_at
        self.calls: list[int] = []

    def encode(self, quality: int) -> bytes:
        self.calls.append(quality)
        return quality.to_bytes(1, "big") * (100 + 37 * quality)

    def measure(self, data: bytes) -> float:
        return self.score_at(data[0])

    def search(self, target: float, **options: object) -> SearchResult:
        return search_quality(encode=self.encode, measure=self.measure, target=target, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("offset", [-25.0, -12.0, -4.0, 0.0, 3.0, 9.0, 20.0])
@pytest.mark.parametrize("target", [60.0, 70.0, 80.0, 90.0])
def test_never_returns_less_than_the_target_and_takes_the_smallest_passing(
    offset: float, target: float
) -> None:
    fake = FakeEncoder(lambda q: min(100.0, 20.0 + 0.75 * q + offset))
    result = fake.search(target, format=ImageFormat.JPEG)
    assert result.encodes == len(fake.calls) <= 4
    tried = {q: fake.score_at(q) for q in fake.calls}
    if any(score >= target for score in tried.values()):
        assert result.reached and result.score >= target
        assert result.quality == min(q for q, score in tried.items() if score >= target)
    else:
        assert not result.reached and result.quality == 95 and 95 in fake.calls


def test_noisy_non_monotonic_scores_never_give_a_failing_result() -> None:
    rng = np.random.default_rng(11)
    for _ in range(200):
        noise = rng.normal(0, 3, size=101)
        slope, base = rng.uniform(0.3, 1.2), rng.uniform(-10, 40)
        fake = FakeEncoder(lambda q, n=noise, s=slope, b=base: b + s * q + n[q])
        target = float(rng.uniform(55, 90))
        result = fake.search(target, format=ImageFormat.WEBP)
        passing = [q for q in fake.calls if fake.score_at(q) >= target]
        assert result.reached == bool(passing)
        if passing:
            assert result.score >= target
            assert result.size_bytes == min(len(fake.encode(q)) for q in passing)


def test_unreachable_target_returns_q_max_flagged() -> None:
    fake = FakeEncoder(lambda q: 30.0 + 0.3 * q)  # 58.5 at q 95
    result = fake.search(80.0)
    assert not result.reached
    assert result.quality == 95 and result.score == pytest.approx(58.5)
    assert len(fake.calls) <= 4 and 95 in fake.calls


def test_target_met_at_q_min_stops_there() -> None:
    fake = FakeEncoder(lambda q: 99.0)
    result = fake.search(70.0, q_min=40)
    assert result.reached and result.quality == 40
    assert len(fake.calls) <= 3


def test_a_bracket_one_step_wide_ends_the_search() -> None:
    fake = FakeEncoder(lambda q: 0.0 if q < 63 else 100.0)  # a cliff between 62 and 63
    result = fake.search(70.0, max_encodes=10)
    assert result.reached and result.quality == 63
    assert 62 in fake.calls and len(set(fake.calls)) == len(fake.calls)  # no quality encoded twice


def test_max_encodes_is_respected_and_start_overrides_the_curve() -> None:
    fake = FakeEncoder(lambda q: 0.8 * q)
    result = fake.search(70.0, start=50, max_encodes=2)
    assert fake.calls[0] == 50
    assert len(fake.calls) == result.encodes == 2


def test_quality_stays_within_bounds() -> None:
    fake = FakeEncoder(lambda q: 200.0 - q)  # higher quality scoring lower: a broken encoder
    fake.search(70.0, q_min=45, q_max=80)
    assert all(45 <= q <= 80 for q in fake.calls)


@pytest.mark.parametrize(
    "options",
    [{"q_min": 0}, {"q_min": 90, "q_max": 80}, {"max_encodes": 0}],
)
def test_invalid_bounds_are_refused(options: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        FakeEncoder(lambda q: 50.0).search(70.0, **options)


def test_giving_up_beyond_q_max_spares_the_encodes_a_fallback_makes_useless() -> None:
    fake = FakeEncoder(lambda q: 30.0 + 0.3 * q)  # 56.7 at q 89: hopeless for 80
    result = fake.search(80.0, q_max=89, curve=((30, 45.0), (89, 80.0)), give_up_above=89)
    assert not result.reached
    assert fake.calls == [89]  # the curve's first guess; then the prediction lay past q_max
    reachable = FakeEncoder(lambda q: 0.9 * q)  # 80.1 at q 89
    assert reachable.search(80.0, q_max=89, curve=((30, 27.0), (100, 90.0)), give_up_above=89).reached


def test_a_given_curve_picks_the_first_probe() -> None:
    fake = FakeEncoder(lambda q: 0.8 * q)
    fake.search(70.0, curve=((40, 60.0), (70, 90.0)))
    assert fake.calls[0] == 51  # where that curve reaches 70.5
