"""The SDK against a real `pixpress serve` (quotas from the reference licence server) that allows one
unfinished task per token, so a second upload meets a real 429 too_many_pending with Retry-After."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixpress.client import (
    AsyncClient,
    AuthError,
    Client,
    InvalidRequestError,
    NotFoundError,
    QuotaExceededError,
)
from pixpress.client.files import image_kind
from tests.client.conftest import ADMIN_TOKEN, Stack, start_stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def one_pending(serve_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(tmp_path_factory.mktemp("sdk-stack"), env={"PIXPRESS_MAX_PENDING_PER_TOKEN": "1"})


def test_optimize_status_variants_download_delete(one_pending: Stack, corpus: Path) -> None:
    photo = corpus / "photo" / "rocket.jpg"
    with Client(one_pending.url, "bulk-site") as client:
        result = client.optimize(photo, mode="glossy")
        assert image_kind(result.data[:64]) == "jpeg" and len(result.data) < photo.stat().st_size
        assert result.status.original_size == photo.stat().st_size
        assert result.status.optimized_size == len(result.data) and result.savings_percent > 0
        assert result.quota is not None and result.quota.used_mb == round(photo.stat().st_size / 1048576, 2)
        both = client.optimize(photo, format="auto", accept=["webp", "avif"], variant="avif")
        assert {v["format"] for v in both.status.variants} >= {"webp", "avif"}
        assert image_kind(both.data[:64]) == "avif"
        assert image_kind(client.download(both.status.task_id, variant="webp")[:64]) == "webp"
        client.delete(result.status.task_id)
        with pytest.raises(NotFoundError) as gone:
            client.status(result.status.task_id)
        assert gone.value.code == "task_not_found"
        quota = client.quota()
        assert quota.quota_mb == 1000 and quota.raw["source"] in ("license_api", "cache")
        refreshed = client.refresh_quota()  # checked at the first upload, under a minute ago: that check
        assert refreshed.raw["source"] == "cache" and refreshed.raw["last_checked_at"]


def test_a_real_retry_after_is_honoured_and_charged_once(one_pending: Stack, corpus: Path) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    big = (corpus / "photo" / "kodim03.png").read_bytes()
    with Client(one_pending.url, "resume-site", sleep=sleep) as client:
        # The token's one pending task; an AVIF search takes seconds, so it is pending when the next arrives.
        first = client.submit(big, filename="kodim03.png", format="avif")
        second = client.submit(
            (corpus / "graphic" / "hopper.png").read_bytes(), filename="hopper.png", wait_s=10
        )
        assert client.wait(first.task_id).status == "done"
        assert client.wait(second.task_id).status == "done"
    assert sleeps[0] == 5  # the server's Retry-After for too_many_pending, not a guess
    usage = one_pending.usage("resume-site")["current_period"]
    assert isinstance(usage, dict) and usage["uploads"] == 2  # the refused attempts were never charged


def test_typed_errors_from_the_real_server(one_pending: Stack, corpus: Path) -> None:
    with Client(one_pending.url, "bulk-site") as client:
        with pytest.raises(InvalidRequestError) as html:
            client.submit(b"<html><body>not an image</body></html>", filename="fake.png")
        assert html.value.code == "unsupported_format" and html.value.status == 415
    with Client(one_pending.url, "revoked-site") as client, pytest.raises(AuthError) as revoked:
        client.quota()
    assert revoked.value.code == "invalid_token"
    with Client(one_pending.url, "bulk-site") as client, pytest.raises(AuthError) as not_admin:
        client.reset_usage("tiny-site")
    assert not_admin.value.code == "admin_required"
    sleeps: list[float] = []
    big = (corpus / "photo" / "dog_exif_extended_xmp_icc.jpg").read_bytes()  # 3.1 MB against 1 MB
    with Client(one_pending.url, "tiny-site", sleep=sleeps.append) as client:
        with pytest.raises(QuotaExceededError) as over:
            client.submit(big, filename="dog.jpg")
        assert over.value.status == 429 and sleeps == []  # never retried
        assert over.value.details["quota_info"]["limit_mb"] == 1
    with Client(one_pending.url, ADMIN_TOKEN) as admin:
        assert admin.reset_usage("tiny-site").new_usage_mb == 0


def test_the_async_client_against_the_real_server(one_pending: Stack, corpus: Path) -> None:
    photo = corpus / "graphic" / "logo.png"

    async def main() -> tuple[bytes, float]:
        async with AsyncClient(one_pending.url, "terminal-site") as client:
            result = await client.optimize(photo, mode="lossless")
            return result.data, (await client.quota()).used_mb

    data, used_mb = asyncio.run(main())
    assert image_kind(data[:64]) == "png" and len(data) <= photo.stat().st_size
    assert used_mb == round(photo.stat().st_size / 1048576, 2)


def test_sizes_from_one_upload_charged_once(one_pending: Stack, corpus: Path) -> None:
    photo = corpus / "photo" / "rocket.jpg"
    with Client(one_pending.url, "double-site") as client:
        result = client.optimize(photo, sizes=["thumbnail:150x150:crop", "medium:300x300"])
        assert [(s.name, s.width, s.height, s.crop) for s in result.status.sizes] == [
            ("thumbnail", 150, 150, True),
            ("medium", 300, 200, False),
        ]
        for size in result.status.sizes:
            assert image_kind(result.sizes[size.name][:64]) == "jpeg"
            assert len(result.sizes[size.name]) == size.size
        with pytest.raises(InvalidRequestError) as refused:
            client.submit(photo, sizes="huge:2000x2000")
        assert refused.value.code == "invalid_option"
    usage = one_pending.usage("double-site")["current_period"]
    assert isinstance(usage, dict) and (usage["uploads"], usage["used_bytes"]) == (1, photo.stat().st_size)


def test_the_same_image_again_is_the_earlier_result_uncharged_per_token(
    one_pending: Stack, corpus: Path
) -> None:
    photo = corpus / "photo" / "rocket.jpg"
    with Client(one_pending.url, "reuse-site") as client:
        first = client.optimize(photo, mode="glossy")
        # Another Idempotency-Key (another file name, a reinstalled plugin): still the same work.
        again = client.submit(photo.read_bytes(), filename="copy.jpg", mode="glossy", idempotency_key="other")
        assert again.status.reused and again.task_id == first.status.task_id
        assert again.quota is not None and again.quota.used_mb == round(photo.stat().st_size / 1048576, 2)
        assert client.download(again.task_id) == first.data
    with Client(one_pending.url, "double-site") as other:  # another token: its own task and charge
        theirs = other.submit(photo, mode="glossy")
        assert not theirs.status.reused and theirs.task_id != first.status.task_id
        other.wait(theirs.task_id)
