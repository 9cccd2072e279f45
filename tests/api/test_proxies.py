"""The client's address behind load balancers: forwarded headers believed from trusted proxies only."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import ValidationError

from pixpress.api.proxies import TrustedProxyMiddleware, client_host
from pixpress.config import IpNetwork, Settings

LB = "10.0.0.2"


def networks(text: str) -> tuple[IpNetwork, ...]:
    return Settings(trusted_proxies=text, _env_file=None).trusted_proxy_networks  # type: ignore[call-arg]


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_host("10.0.0.2", ["203.0.113.9"], networks("")) == "10.0.0.2"


def test_an_untrusted_peer_cannot_claim_another_address() -> None:
    assert client_host("198.51.100.1", ["203.0.113.9"], networks(LB)) == "198.51.100.1"


def test_the_rightmost_untrusted_hop_is_the_client() -> None:
    # The client wrote "1.1.1.1, 2.2.2.2"; our balancer appended the address it saw.
    assert client_host(LB, ["1.1.1.1, 2.2.2.2, 203.0.113.9"], networks(LB)) == "203.0.113.9"
    # Two of our proxies in a row (a CDN range, then the balancer), headers split over two lines.
    chain = ["1.1.1.1, 203.0.113.9", "192.0.2.10"]
    assert client_host(LB, chain, networks(f"{LB}, 192.0.2.0/24")) == "203.0.113.9"


def test_hops_with_ports_brackets_and_mapped_addresses() -> None:
    trusted = networks("10.0.0.0/8, ::1")
    assert client_host("::1", ["203.0.113.9:4711"], trusted) == "203.0.113.9"
    assert client_host("::ffff:10.0.0.2", ["[2001:db8::7]:443"], trusted) == "2001:db8::7"
    assert client_host(LB, ["::ffff:203.0.113.9"], trusted) == "203.0.113.9"


def test_a_request_from_a_trusted_machine_without_header_is_that_machine() -> None:
    assert client_host(LB, [], networks(LB)) == LB
    assert client_host(LB, ["10.0.0.3"], networks("10.0.0.0/24")) == "10.0.0.3"


def test_a_malformed_setting_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="PIXPRESS_TRUSTED_PROXIES"):
        Settings(trusted_proxies="10.0.0.1, balancer.internal", _env_file=None)  # type: ignore[call-arg]


def echo_app(trusted: str) -> FastAPI:
    app = FastAPI()

    @app.get("/who")
    def who(request: Request) -> dict[str, str]:
        assert request.client is not None
        return {"client": request.client.host, "scheme": request.url.scheme}

    app.add_middleware(TrustedProxyMiddleware, trusted=networks(trusted))
    return app


@pytest.mark.parametrize(
    ("trusted", "peer", "expected"),
    [
        ("", LB, {"client": LB, "scheme": "http"}),
        ("198.51.100.0/24", LB, {"client": LB, "scheme": "http"}),
        (LB, LB, {"client": "203.0.113.9", "scheme": "https"}),
    ],
)
def test_the_middleware_rewrites_client_and_scheme_only_for_trusted_peers(
    trusted: str, peer: str, expected: dict[str, str]
) -> None:
    client = TestClient(echo_app(trusted), client=(peer, 50000))
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9", "X-Forwarded-Proto": "https"}
    assert client.get("/who", headers=headers).json() == expected
