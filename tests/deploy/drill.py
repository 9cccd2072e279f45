"""Clients uploading through nginx while faults are injected: who sent what, what came back, when."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from scripts.deploy_local.topology import Topology

from tests.deploy.conftest import client

SUBMIT_ATTEMPTS = 60  # per upload: a client retries 503s (with the same Idempotency-Key) this often
TRANSPORT_RETRY_S = 0.5
PNG_SIGNATURE = b"\x89PNG"


@dataclass(frozen=True)
class Answer:
    at_s: float  # since the drill started
    index: int
    status: int  # 0: no HTTP answer (connection refused, reset...)
    code: str | None = None
    reason: str | None = None
    task_id: str | None = None
    transport_error: str | None = None


@dataclass
class Window:
    name: str
    start_s: float
    end_s: float
    recovered_s: float = 0.0  # until nginx's /ready answered 200 again


@dataclass
class Uploads:
    """`clients` threads, client k sending uploads k, k+clients, ... with its own token and address.
    Uploads are released in batches (`release`) so that each batch runs while a fault is in progress."""

    top: Topology
    photos: list[bytes]
    tokens: list[str]
    pace_s: float = 0.1
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    answers: list[Answer] = field(default_factory=list)
    task_ids: dict[int, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    _allowed: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _threads: list[threading.Thread] = field(default_factory=list)

    def key(self, index: int) -> str:
        return f"drill-{self.run_id}-{index}"

    def now(self) -> float:
        return time.monotonic() - self.started

    def start(self) -> None:
        for number, token in enumerate(self.tokens):
            thread = threading.Thread(target=self._client, args=(number, token), daemon=True)
            thread.start()
            self._threads.append(thread)

    def release(self, count: int) -> None:
        with self._cond:
            self._allowed = min(len(self.photos), self._allowed + count)
            self._cond.notify_all()

    def resolved(self) -> int:
        return len(self.task_ids)

    def join(self, timeout_s: float) -> None:
        self.release(len(self.photos))
        for thread in self._threads:
            thread.join(timeout_s)

    def _client(self, number: int, token: str) -> None:
        with client(self.top, f"127.0.0.{10 + number}") as http:
            for index in range(number, len(self.photos), len(self.tokens)):
                with self._cond:
                    self._cond.wait_for(lambda index=index: index < self._allowed)
                self._upload(http, token, index)
                time.sleep(self.pace_s)

    def _upload(self, http: httpx.Client, token: str, index: int) -> None:
        extension = "png" if self.photos[index].startswith(PNG_SIGNATURE) else "jpg"
        name = f"photo-{index}.{extension}"
        for _ in range(SUBMIT_ATTEMPTS):
            try:
                answer = http.post(
                    "/api/optimize/submit",
                    headers={"X-Token": token, "Idempotency-Key": self.key(index)},
                    files={"file": (name, self.photos[index])},
                )
            except httpx.TransportError as exc:
                self.answers.append(Answer(self.now(), index, 0, transport_error=repr(exc)))
                time.sleep(TRANSPORT_RETRY_S)
                continue
            body = (
                answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
            )
            error = body.get("error") or {}
            task_id = (body.get("data") or {}).get("task_id") if answer.status_code == 200 else None
            self.answers.append(
                Answer(self.now(), index, answer.status_code, error.get("code"), error.get("reason"), task_id)
            )
            if answer.status_code == 200:
                if index in self.task_ids:  # a replay must name the same task
                    assert self.task_ids[index] == task_id
                self.task_ids[index] = str(task_id)
                return
            if answer.status_code != 503:
                return  # anything else is final, and the checks after the drill will say so
            time.sleep(min(1.0, float(answer.headers.get("Retry-After", "1"))))


def timed(uploads: Uploads, name: str, action: Callable[[], object], ready: Callable[[], bool]) -> Window:
    window = Window(name, uploads.now(), 0.0)
    action()
    window.end_s = uploads.now()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if ready():
                break
        except Exception:  # not back yet (connection refused, a driver's error...)
            pass
        time.sleep(0.2)
    window.recovered_s = uploads.now()
    return window
