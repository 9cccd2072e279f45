"""The SDK's calls, retry and error policy, on httpx.MockTransport."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Callable

import httpx
import pytest

from pixpress.client import (
    AsyncClient,
    AuthError,
    Client,
    ConnectionFailed,
    InvalidRequestError,
    NotFoundError,
    PixpressClientError,
    QuotaExceededError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
    ServerUnavailableError,
    TaskFailed,
    TaskTimeout,
)
from pixpress.client.policy import parse_retry_after
from tests.client.fakes import FakePixpress, error, ok, parse_multipart, result_bytes, size_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def submitted(task_id: str = "t1", status: str = "queued") -> httpx.Response:
    quota = {"used_mb": 1, "remaining_mb": 9, "limit_mb": 10}
    return ok({"task_id": task_id, "status": status, "quota_info": quota})


Handler = Callable[[httpx.Request], httpx.Response]


def scripted(answers: list[httpx.Response | Exception], seen: list[httpx.Request]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


def client_with(
    answers: list[httpx.Response | Exception],
    seen: list[httpx.Request],
    sleeps: list[float],
    **kwargs: object,
) -> Client:
    transport = httpx.MockTransport(scripted(answers, seen))
    return Client("http://pixpress.test", "tok", transport=transport, sleep=sleeps.append, **kwargs)  # type: ignore[arg-type]


def test_retries_honour_retry_after_and_reuse_the_idempotency_key() -> None:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    client = client_with(
        [
            error(429, "too_many_pending", {"Retry-After": "3"}),
            error(503, "license_server_unavailable", {"Retry-After": "7"}),
            httpx.ConnectError("refused"),
            submitted(),
        ],
        seen,
        sleeps,
    )
    result = client.submit(PNG, filename="a.png", mode="glossy")
    assert result.task_id == "t1" and result.quota is not None and result.quota.remaining_mb == 9
    assert sleeps[:2] == [3, 7]  # exactly what the server asked, in order
    assert sleeps[2] == RetryPolicy().base_delay_s * 4  # no Retry-After: exponential backoff
    keys = {request.headers["idempotency-key"] for request in seen}
    assert len(seen) == 4 and len(keys) == 1
    assert all(request.headers["x-token"] == "tok" for request in seen)
    assert parse_multipart(seen[0])[2] == {"mode": "glossy"}


def test_each_submit_gets_its_own_key_unless_given() -> None:
    seen: list[httpx.Request] = []
    client = client_with([submitted("a"), submitted("b"), submitted("c")], seen, [])
    client.submit(PNG)
    client.submit(PNG)
    client.submit(PNG, idempotency_key="mine")
    keys = [request.headers["idempotency-key"] for request in seen]
    assert len(set(keys)) == 3 and keys[2] == "mine"


def test_quota_exceeded_is_never_retried() -> None:
    seen: list[httpx.Request] = []
    quota_info = {"used_mb": 10, "remaining_mb": 0, "limit_mb": 10}
    client = client_with(
        [error(429, "quota_exceeded", {"Retry-After": "1"}, quota_info=quota_info), submitted()], seen, []
    )
    with pytest.raises(QuotaExceededError) as raised:
        client.submit(PNG, filename="a.png")
    assert raised.value.code == "quota_exceeded" and raised.value.status == 429
    assert raised.value.details["quota_info"] == quota_info
    assert len(seen) == 1


def test_retries_are_bounded_in_number() -> None:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    client = client_with(
        [error(429, "rate_limited", {"Retry-After": "1"}) for _ in range(10)], seen, sleeps, max_retries=3
    )
    with pytest.raises(RateLimitedError) as raised:
        client.quota()
    assert len(seen) == 4 and sleeps == [1, 1, 1]
    assert raised.value.details["retry_after_s"] == 1


def test_retries_are_bounded_in_time() -> None:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    policy = RetryPolicy(max_retries=10, max_delay_s=60, max_total_s=120)
    answers: list[httpx.Response | Exception] = [
        error(503, "license_server_unavailable", {"Retry-After": "50"})
    ] * 10
    client = client_with(list(answers), seen, sleeps, retry=policy)
    with pytest.raises(ServerUnavailableError):
        client.quota()
    assert sleeps == [50, 50]  # a third wait would pass 120 s in all


def test_a_retry_after_longer_than_allowed_gives_up_at_once() -> None:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    client = client_with([error(429, "rate_limited", {"Retry-After": "3600"}), submitted()], seen, sleeps)
    with pytest.raises(RateLimitedError):
        client.submit(PNG)
    assert sleeps == [] and len(seen) == 1


def test_retry_after_as_an_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 12, usegmt=True), now=now) == 12
    assert parse_retry_after(email.utils.formatdate(now - 5, usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("status", "code", "kind", "attempts"),
    [
        (401, "token_missing", AuthError, 1),
        (401, "invalid_token", AuthError, 1),
        (403, "subscription_expired", AuthError, 1),
        (403, "admin_required", AuthError, 1),
        (404, "task_not_found", NotFoundError, 1),
        (413, "file_too_large", InvalidRequestError, 1),
        (415, "unsupported_format", InvalidRequestError, 1),
        (422, "invalid_option", InvalidRequestError, 1),
        (500, "internal_error", ServerError, 1),
        (503, "license_server_unavailable", ServerUnavailableError, 5),
    ],
)
def test_typed_errors_carry_the_code(
    status: int, code: str, kind: type[PixpressClientError], attempts: int
) -> None:
    seen: list[httpx.Request] = []
    client = client_with([error(status, code, field="x")] * 10, seen, [])
    with pytest.raises(kind) as raised:
        client.quota()
    assert raised.value.code == code and raised.value.status == status
    assert raised.value.details == {"field": "x"}
    assert len(seen) == attempts


def test_a_proxy_page_instead_of_json_is_still_a_typed_error() -> None:
    client = client_with([httpx.Response(502, text="<html>Bad Gateway</html>")] * 5, [], [])
    with pytest.raises(ServerUnavailableError) as raised:
        client.quota()
    assert raised.value.code == "http_502"


def test_a_broken_connection_is_retried_only_for_idempotent_calls() -> None:
    seen: list[httpx.Request] = []
    reset = {"token": "t", "old_usage_mb": 3, "new_usage_mb": 0, "quota_mb": 10, "remaining_mb": 10}
    client = client_with([httpx.ReadError("reset by peer"), ok(reset)], seen, [])
    with pytest.raises(ConnectionFailed):  # the reset may have happened: never sent twice
        client.reset_usage("t")
    assert len(seen) == 1
    quota = {"token": "tok", "quota_mb": 10, "used_mb": 1, "remaining_mb": 9, "last_used_at": None}
    client = client_with([httpx.ReadError("reset by peer"), ok(quota)], seen, [])
    assert client.quota().remaining_mb == 9
    client = client_with([httpx.ConnectError("refused"), ok(reset)], seen, [])
    assert client.reset_usage("t").old_usage_mb == 3  # nothing was sent: safe to try again


def test_an_unreachable_server_is_a_connection_error() -> None:
    client = Client("http://127.0.0.1:9", "tok", timeout_s=1, max_retries=1, sleep=lambda _s: None)
    with pytest.raises(ConnectionFailed) as raised:
        client.quota()
    assert "cannot reach pixpress at http://127.0.0.1:9" in raised.value.message
    assert isinstance(raised.value, PixpressClientError) and raised.value.status == 0


def test_optimize_submits_with_wait_polls_with_backoff_and_downloads() -> None:
    fake = FakePixpress(polls_before_done=4)
    sleeps: list[float] = []
    client = Client("http://pixpress.test", "tok", transport=fake.transport(), sleep=sleeps.append)
    result = client.optimize(PNG, filename="a.png", format="webp", accept=["webp", "avif"], variant="avif")
    assert result.data == result_bytes(PNG, "avif")
    assert result.status.status == "done" and result.status.original_size == len(PNG)
    assert result.quota is not None and result.quota.used_mb == 0.0
    submit = fake.requests[0]
    assert submit.url.params["wait"] == "10"
    assert parse_multipart(submit)[2] == {"format": "webp", "accept": "webp,avif"}
    assert [r.url.path.split("/")[3] for r in fake.requests[1:]] == ["status"] * 5 + ["download"]
    assert fake.requests[-1].url.params["variant"] == "avif"
    assert sleeps == pytest.approx([0.2, 0.3, 0.45, 0.675])  # backing off between polls


def test_a_failed_task_raises_the_servers_code() -> None:
    fake = FakePixpress(fail_names={"broken.png": "invalid_image"})
    client = Client("http://pixpress.test", "tok", transport=fake.transport(), sleep=lambda _s: None)
    with pytest.raises(TaskFailed) as raised:
        client.optimize(PNG, filename="broken.png")
    assert raised.value.code == "invalid_image" and raised.value.details["task_id"]


def test_waiting_is_bounded() -> None:
    fake = FakePixpress(polls_before_done=1000)
    client = Client("http://pixpress.test", "tok", transport=fake.transport(), sleep=lambda _s: None)
    task = client.submit(PNG).task_id
    with pytest.raises(TaskTimeout):
        client.wait(task, timeout_s=0)


def test_options_are_checked_and_sent_as_form_fields() -> None:
    seen: list[httpx.Request] = []
    client = client_with([submitted()], seen, [])
    with pytest.raises(TypeError):
        client.submit(PNG, colour="red")
    client.submit(PNG, quality=70, max_width=800, keep_metadata="none", accept={"webp", "avif"}, mode=None)
    assert parse_multipart(seen[0])[2] == {
        "quality": "70",
        "max_width": "800",
        "keep_metadata": "none",
        "accept": "avif,webp",
    }


def test_the_async_client_makes_the_same_calls() -> None:
    fake = FakePixpress(polls_before_done=2)
    answers: list[httpx.Response] = [error(429, "too_many_pending", {"Retry-After": "2"})]
    sleeps: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if answers and request.url.path.endswith("submit"):
            fake.requests.append(request)
            return answers.pop(0)
        return fake.handle(request)

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def main() -> None:
        async with AsyncClient(
            "http://pixpress.test", "tok", transport=httpx.MockTransport(handler), sleep=sleep
        ) as client:
            result = await client.optimize(PNG, filename="a.png", mode="lossless")
            assert result.data == result_bytes(PNG, None)
            assert (await client.quota()).used_mb == 0.0
            with pytest.raises(NotFoundError):
                await client.status("nope")

    asyncio.run(main())
    assert sleeps[0] == 2
    keys = {r.headers["idempotency-key"] for r in fake.requests if r.url.path.endswith("submit")}
    assert len(keys) == 1 and len(fake.charges) == 1


def test_sizes_are_sent_listed_and_downloaded_by_name() -> None:
    fake = FakePixpress()
    client = Client("http://pixpress.test", "tok", transport=fake.transport(), sleep=lambda _s: None)
    result = client.optimize(PNG, filename="a.png", sizes=["thumbnail:150x150:crop", "medium:300x300"])
    assert parse_multipart(fake.requests[0])[2] == {"sizes": "thumbnail:150x150:crop,medium:300x300"}
    listed = result.status.sizes
    assert [(s.name, s.format, s.width) for s in listed] == [("thumbnail", "png", 10), ("medium", "png", 10)]
    assert listed[0].download_url.endswith("?size=thumbnail") and listed[0].raw["name"] == "thumbnail"
    assert result.sizes == {"thumbnail": size_bytes(PNG, "thumbnail"), "medium": size_bytes(PNG, "medium")}
    assert result.data == result_bytes(PNG, None)
    downloads = [r for r in fake.requests if "/download/" in r.url.path]
    assert [r.url.params.get("size") for r in downloads] == [None, "thumbnail", "medium"]
    assert client.download(result.status.task_id, size="medium") == size_bytes(PNG, "medium")
    with pytest.raises(NotFoundError):
        client.download(result.status.task_id, size="large")
    assert len(fake.charges) == 1


def test_the_async_client_downloads_sizes_too() -> None:
    fake = FakePixpress()

    async def handler(request: httpx.Request) -> httpx.Response:
        return fake.handle(request)

    async def main() -> None:
        async with AsyncClient(
            "http://pixpress.test", "tok", transport=httpx.MockTransport(handler)
        ) as client:
            result = await client.optimize(PNG, sizes="small:50x50")
            assert result.sizes == {"small": size_bytes(PNG, "small")}
            assert await client.download(result.status.task_id, size="small") == size_bytes(PNG, "small")

    asyncio.run(main())
