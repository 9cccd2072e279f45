"""An in-memory pixpress speaking the HTTP contract, for httpx.MockTransport: quota in exact bytes,
Idempotency-Key handling, tasks that finish at once (or after some polls), downloads and variants."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from pixpress.client.files import image_kind

MB = 1048576


@dataclass
class FakeTask:
    task_id: str
    name: str
    data: bytes
    fields: dict[str, str]
    polls_left: int = 0
    error_code: str | None = None  # decided when the task is created, like a real worker's verdict


@dataclass
class FakePixpress:
    quota_bytes: int = 1000 * MB
    used_bytes: int = 0
    polls_before_done: int = 0
    tasks: dict[str, FakeTask] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    charges: list[str] = field(default_factory=list)  # sha256 of every charged upload
    requests: list[httpx.Request] = field(default_factory=list)
    on_submit: Callable[[int], None] | None = None  # called with the number of charges so far
    fail_names: dict[str, str] = field(default_factory=dict)  # upload name -> the code its task fails with
    lock: threading.Lock = field(default_factory=threading.Lock)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        if request.headers.get("x-token") != "tok":
            return error(401, "invalid_token")
        path = request.url.path
        if path == "/api/optimize/quota":
            return ok(self.quota_data())
        if path == "/api/optimize/submit":
            return self.submit(request)
        task = self.tasks.get(path.rsplit("/", 1)[-1])
        if task is None:
            return error(404, "task_not_found")
        if path.startswith("/api/optimize/status/"):
            return ok(self.status(task))
        if path.startswith("/api/optimize/download/"):
            variant = request.url.params.get("variant")
            if size := request.url.params.get("size"):
                if size not in sizes_of(task):
                    return error(404, "task_not_found")
                return httpx.Response(200, content=size_bytes(task.data, size))
            return httpx.Response(200, content=result_bytes(task.data, variant))
        return error(404, "not_found")

    def submit(self, request: httpx.Request) -> httpx.Response:
        name, data, fields = parse_multipart(request)
        key = request.headers["idempotency-key"]
        with self.lock:
            if key in self.keys:
                task = self.tasks[self.keys[key]]
                return ok({**self.status(task), "quota_info": self.quota_info()})
            if self.used_bytes + len(data) > self.quota_bytes:
                return error(429, "quota_exceeded", quota_info=self.quota_info())
            self.used_bytes += len(data)
            self.charges.append(hashlib.sha256(data).hexdigest())
            task = FakeTask(
                str(uuid.uuid4()), name, data, fields, self.polls_before_done, self.fail_names.get(name)
            )
            self.tasks[task.task_id] = task
            self.keys[key] = task.task_id
            count = len(self.charges)
        if self.on_submit is not None:
            self.on_submit(count)
        return ok({"task_id": task.task_id, "status": "queued", "quota_info": self.quota_info()})

    def status(self, task: FakeTask) -> dict[str, object]:
        if task.polls_left > 0:
            task.polls_left -= 1
            return {"task_id": task.task_id, "status": "processing"}
        if task.error_code is not None:
            message = "The image is corrupt." if task.error_code == "invalid_image" else "Something broke."
            error_ = {"code": task.error_code, "message": message}
            return {"task_id": task.task_id, "status": "failed", "error": error_}
        out = result_bytes(task.data, None)
        fmt = task.fields.get("format", "original")
        out_format = (image_kind(task.data[:64]) or "png") if fmt in ("original", "auto") else fmt
        sizes = [
            {
                "name": name,
                "width": 10,
                "height": 10,
                "format": out_format,
                "size": len(size_bytes(task.data, name)),
                "download_url": f"http://pixpress.test/api/optimize/download/{task.task_id}?size={name}",
            }
            for name in sizes_of(task)
        ]
        return {
            "task_id": task.task_id,
            **({"sizes": sizes} if sizes else {}),
            "status": "done",
            "original_size": len(task.data),
            "optimized_size": len(out),
            "savings_percent": round(100 * (1 - len(out) / len(task.data)), 1),
            "format": out_format,
            "variants": [{"format": f} for f in task.fields.get("accept", "").split(",") if f],
        }

    def quota_info(self) -> dict[str, float]:
        return {
            "used_mb": round(self.used_bytes / MB, 2),
            "remaining_mb": round((self.quota_bytes - self.used_bytes) / MB, 2),
            "limit_mb": round(self.quota_bytes / MB, 2),
        }

    def quota_data(self) -> dict[str, object]:
        info = self.quota_info()
        return {
            "token": "tok",
            "quota_mb": info["limit_mb"],
            "used_mb": info["used_mb"],
            "remaining_mb": info["remaining_mb"],
            "last_used_at": None,
        }


HEADERS = {
    "webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    "avif": b"\x00\x00\x00\x14ftypavif\x00\x00\x00\x00avif",
}


def result_bytes(data: bytes, variant: str | None) -> bytes:
    """A "smaller" result that still starts like an image: the original's header (or the variant's)."""
    head = HEADERS.get(variant or "", data[:16])
    return head + b"optimized:" + data[16 : max(17, len(data) // 2)]


def sizes_of(task: FakeTask) -> list[str]:
    """The names of the sizes asked for (the syntax is the server's business)."""
    return [item.split(":")[0] for item in task.fields.get("sizes", "").split(",") if item]


def size_bytes(data: bytes, name: str) -> bytes:
    """A size of the upload: its header and a marker naming the size."""
    return data[:16] + f"size:{name}:".encode() + data[16:64]


def parse_multipart(request: httpx.Request) -> tuple[str, bytes, dict[str, str]]:
    """The upload's name, bytes and the other form fields of a multipart body."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    name, data, fields = "", b"", {}
    for part in request.content.split(b"--" + boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        if b"Content-Disposition" not in head:
            continue
        body = body.removesuffix(b"\r\n")
        field_name = head.split(b'name="')[1].split(b'"')[0].decode()
        if field_name == "file":
            name = head.split(b'filename="')[1].split(b'"')[0].decode()
            data = body
        else:
            fields[field_name] = body.decode()
    return name, data, fields


def ok(data: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": data})


def error(status: int, code: str, headers: dict[str, str] | None = None, **details: object) -> httpx.Response:
    body = {"success": False, "error": {"code": code, "message": code.replace("_", " "), **details}}
    return httpx.Response(status, json=body, headers=headers)
