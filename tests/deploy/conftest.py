"""The e2e suite of the running `make deploy-local` topology (PIXPRESS_DEPLOY_RUN_DIR names its run
folder; `make deploy-test` sets it). Clients speak to nginx only, over TLS with the topology's
certificate, each from a loopback address of its own (127.0.0.2...) so that pixpress's view of the
client's address can be checked; the topology's services are driven through its supervisor."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from scripts.deploy_local.topology import Topology, ready_through_nginx

from tests.conftest import DEPLOY_RUN_DIR, corpus_files

pytestmark = pytest.mark.slow
FIGURES = Path(DEPLOY_RUN_DIR) / "figures" if DEPLOY_RUN_DIR else Path()


@pytest.fixture(scope="session")
def top() -> Topology:
    topology = Topology.load(Path(DEPLOY_RUN_DIR))
    assert ready_through_nginx(topology), "the topology is not ready: make deploy-local first"
    return topology


def client(top: Topology, source: str = "127.0.0.1", timeout_s: float = 60.0) -> httpx.Client:
    """A client of nginx's TLS port connecting from `source` (any 127.x address is this machine)."""
    transport = httpx.HTTPTransport(local_address=source, verify=top.tls())
    return httpx.Client(base_url=top.url, transport=transport, timeout=timeout_s)


@pytest.fixture
def front(top: Topology) -> Iterator[httpx.Client]:
    with client(top) as http:
        yield http


def small_photos(count: int, *, seed: int = 0) -> list[bytes]:
    """`count` different small photos (160x120 crops of the corpus's photos, JPEG and PNG), a few KB
    each: the drills are about the topology, not about the encoders."""
    sources = [Image.open(path).convert("RGB") for path in corpus_files("photo")]
    photos = []
    for index in range(count):
        image = sources[(index + seed) % len(sources)]
        step = index // len(sources) + seed
        left = (step * 37) % max(1, image.width - 160)
        top_px = (step * 23) % max(1, image.height - 120)
        crop = image.crop((left, top_px, left + 160, top_px + 120))
        out = io.BytesIO()
        if index % 4 == 3:
            crop.save(out, "PNG")
        else:
            crop.save(out, "JPEG", quality=90)
        photos.append(out.getvalue())
    return photos


def wait_until(what: str, check: Callable[[], Any], timeout_s: float = 120.0, every_s: float = 0.5) -> Any:
    """Poll `check` until it returns something true; an exception counts as "not yet" (a service that
    is restarting refuses connections)."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except (httpx.TransportError, OSError) as exc:
            last, value = exc, None
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"{what}: not within {timeout_s:.0f} s (last error: {last!r})")


def wait_until_or_not(check: Callable[[], Any], timeout_s: float, every_s: float = 0.02) -> bool:
    """Whether `check` became true within the time (a best effort, for timing a fault)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every_s)
    return False


def record_figures(name: str, text: str) -> None:
    """The drill's figures, printed and kept in the run folder (docs/deploy.md quotes them)."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    (FIGURES / f"{name}.txt").write_text(text + "\n")
    print(f"\n{name}:\n{text}")
