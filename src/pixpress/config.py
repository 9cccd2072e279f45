"""Settings: read once from the environment (prefix PIXPRESS_) and passed down as one object.

Every number a user may want to change lives here with its documented default; the README's settings
table mirrors this file. No other module reads settings from os.environ (cli.py and metrics/group.py only
set variables for libraries and child processes: OPENBLAS_NUM_THREADS, PROMETHEUS_MULTIPROC_DIR, the
embedded worker's PIXPRESS_* from serve).
"""

from __future__ import annotations

import ipaddress
import os
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024
MIN_DASHBOARD_SECRET_CHARS = 32

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PIXPRESS_", extra="ignore", populate_by_name=True, frozen=False
    )

    # --- general ---------------------------------------------------------------------------
    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./pixpress-data")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = False
    public_base_url: str = ""  # used in download_url; empty: relative URLs
    # Comma-separated IPs/CIDRs of the load balancers whose X-Forwarded-For/-Proto are believed;
    # empty: none, the client is the socket's peer (a client can write any X-Forwarded-For it likes).
    trusted_proxies: str = ""
    # Crash tests only (pixpress/faults.py): the process dies at this named point. Refused unless test.
    test_fault: str = ""
    # Tests only: the reset job's clock starts at this moment and runs on from there. Refused unless test.
    test_now: datetime | None = None

    # --- backends --------------------------------------------------------------------------
    database_url: str = ""  # empty: sqlite file in data_dir
    redis_url: str = ""  # empty: embedded SQLite queue and in-process coordination
    queue_name: str = "pixpress"  # Huey queue name; also prefixes pixpress's Redis keys
    storage_url: str = ""  # empty: file://<data_dir>/files
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_connect_timeout_s: float = 5.0
    s3_read_timeout_s: float = 60.0  # per request; a 25 MB upload on a slow link needs time
    s3_max_attempts: int = 3  # first try plus retries (botocore "standard" mode, with backoff)

    # --- workers and tasks -----------------------------------------------------------------
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1)
    task_time_limit_s: float = 120.0
    # Each size asked in the same upload (a WordPress upload brings 4-6) adds this to the task's limit:
    # one upload with its sizes in three formats is many images' work, not one.
    task_time_limit_per_size_s: float = 30.0
    task_kill_grace_s: float = 15.0  # past the limit plus this, a stuck task ends its worker process
    worker_memory_mb: int = 2048  # RLIMIT_DATA of each worker process (0: none); see docs/deploy.md
    task_lease_s: float = 180.0  # a task whose worker vanished is re-queued after this
    task_max_attempts: int = 2  # first run plus one retry
    lease_check_interval_s: float = 30.0
    result_ttl_s: int = 24 * 3600
    cleanup_interval_s: int = 600
    # A blob without a task row is swept by the cleanup once older than this (a younger one may belong
    # to a submit or a worker still on its way to the database).
    orphan_blob_grace_s: float = 600.0
    ledger_check_interval_s: float = 24 * 3600  # the usage-versus-ledger consistency check
    max_wait_s: float = 30.0  # upper bound of ?wait=N on submit
    max_pending_per_token: int = 100
    # Failed tasks whose file could not be decoded are refunded up to this many per token and usage
    # period, plus this percentage of the period's uploads; past that their charge is kept
    # (quota/failure_charges.py). Nothing is ever refused for failures.
    free_failures_per_period: int = Field(default=50, ge=0)
    free_failures_percent: float = Field(default=2.0, ge=0, le=100)

    # --- limits ----------------------------------------------------------------------------
    max_upload_mb: float = 25.0
    max_megapixels: float = 50.0  # per frame
    max_frames: int = 1000
    max_total_megapixels: float = 100.0  # all frames of an animation together (decoded memory guard)
    max_dimension_px: int = 32768  # either side, guards the resize maths

    # --- licence and quota -----------------------------------------------------------------
    license_api_url: str = Field(
        default="",
        validation_alias=AliasChoices("PIXPRESS_LICENSE_API_URL", "XTEMOS_API_URL", "license_api_url"),
    )
    license_api_key: str = Field(
        default="",
        validation_alias=AliasChoices("PIXPRESS_LICENSE_API_KEY", "XTEMOS_API_KEY", "license_api_key"),
    )
    license_timeout_s: float = 2.0  # whole budget of one check, retry included
    license_failure_threshold: int = 3  # consecutive failures that open the circuit
    license_circuit_open_s: float = 30.0  # first pause; doubles while the server stays down
    license_circuit_max_open_s: float = 300.0
    tokens_file: Path | None = None
    default_quota_mb: float = 1000.0
    # The old names, without the unit, are still read (deployments set them before 0.2).
    quota_cache_ttl_s: float = Field(
        default=300.0,
        validation_alias=AliasChoices(
            "PIXPRESS_QUOTA_CACHE_TTL_S", "PIXPRESS_QUOTA_CACHE_TTL", "quota_cache_ttl_s"
        ),
    )
    quota_refresh_interval_s: float = Field(
        default=900.0,
        validation_alias=AliasChoices(
            "PIXPRESS_QUOTA_REFRESH_INTERVAL_S", "PIXPRESS_QUOTA_REFRESH_INTERVAL", "quota_refresh_interval_s"
        ),
    )
    invalid_token_cache_s: float = 60.0  # a token refused upstream is not re-asked for this long
    # POST /refresh-quota asks upstream at most this often per token (the whole deployment): every
    # deployment shares the vendor's licence server, and any customer can call it.
    quota_forced_refresh_interval_s: float = Field(default=60.0, ge=0)
    quota_refresh_job_interval_s: float = 900.0
    quota_cache_max_tokens: int = Field(default=10_000, ge=1)  # licence answers kept in one process
    quota_refresh_max_tokens: int = Field(default=10_000, ge=1)  # valid tokens one process re-checks
    max_token_chars: int = 512  # longer tokens are invalid_token without asking the licence server
    admin_tokens: str = ""  # comma-separated
    failed_token_checks_per_minute: int = 20
    idempotency_ttl_s: int = 24 * 3600
    # Who ends usage periods: off (the vendor calls reset-usage), monthly (every token on reset_day at
    # 00:00 UTC) or anniversary (each token monthly on the day of its first charge). quota/reset_schedule.py
    reset_schedule: Literal["off", "monthly", "anniversary"] = "off"
    # Day of the month for `monthly`: 1-31 or "last"; 29-31 fall on the last day of shorter months.
    reset_day: Annotated[int, Field(ge=1, le=31)] | Literal["last"] = 1
    reset_check_interval_s: float = Field(default=300.0, gt=0)  # how often a worker looks for due resets

    # --- quality targets (SSIMULACRA2) -----------------------------------------------------
    target_glossy: float = 80.0
    target_lossy: float = 70.0

    # --- operator's dashboard (/admin) ----------------------------------------------------
    dashboard_enabled: bool = False  # also needs admin tokens; off: /admin answers 404
    # Signs the session cookies; empty: a random key per process (development only: sessions end at
    # every restart and are not shared between processes).
    dashboard_secret: str = ""
    dashboard_session_ttl_s: int = Field(default=8 * 3600, ge=60)
    # Mark the cookie Secure even on plain-http requests (a TLS proxy that is not in trusted_proxies).
    dashboard_secure_cookie: bool = False

    # --- Prometheus metrics (/metrics) -----------------------------------------------------
    metrics_enabled: bool = True  # GET /metrics with an admin token; off: 404 and nothing written
    # Where the processes of one `serve` or `worker` (and its worker processes) add up their metrics;
    # empty: <data dir>/metrics. Each process group takes a directory of its own inside it.
    metrics_dir: Path | None = None
    # host:port of a plain HTTP listener serving only /metrics, without a token (keep it on a private
    # address); empty: none. Started by `serve` and by `worker`.
    metrics_address: str = ""

    @model_validator(mode="after")
    def _check_trusted_proxies(self) -> Settings:
        self.trusted_proxy_networks  # noqa: B018  (raises on a malformed entry, at start)
        return self

    @model_validator(mode="after")
    def _refuse_test_faults_outside_tests(self) -> Settings:
        if self.test_fault and self.environment != "test":
            raise ValueError("PIXPRESS_TEST_FAULT is only accepted with PIXPRESS_ENVIRONMENT=test")
        return self

    @model_validator(mode="after")
    def _refuse_test_clock_outside_tests(self) -> Settings:
        if self.test_now is not None and self.environment != "test":
            raise ValueError("PIXPRESS_TEST_NOW is only accepted with PIXPRESS_ENVIRONMENT=test")
        if self.test_now is not None and self.test_now.tzinfo is None:
            raise ValueError("PIXPRESS_TEST_NOW needs a time zone (e.g. 2027-02-01T00:00:00Z)")
        return self

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Settings:
        if self.environment == "production":
            if not self.admin_tokens_list:
                raise ValueError("PIXPRESS_ADMIN_TOKENS must be set in production")
            if any(len(t) < 16 for t in self.admin_tokens_list):
                raise ValueError("admin tokens must be at least 16 characters in production")
            if not self.license_api_url and not self.tokens_file:
                raise ValueError(
                    "production needs PIXPRESS_LICENSE_API_URL or PIXPRESS_TOKENS_FILE "
                    "(the default quota for every token is for development only)"
                )
            if self.dashboard_enabled and len(self.dashboard_secret) < MIN_DASHBOARD_SECRET_CHARS:
                raise ValueError(
                    f"PIXPRESS_DASHBOARD_SECRET must be at least {MIN_DASHBOARD_SECRET_CHARS} characters "
                    "in production when the dashboard is enabled"
                )
        return self

    @model_validator(mode="after")
    def _check_metrics_address(self) -> Settings:
        self.metrics_listen  # noqa: B018  (raises on a malformed address, at start)
        return self

    @property
    def dashboard_active(self) -> bool:
        """The dashboard is served only when enabled and someone can sign in to it."""
        return self.dashboard_enabled and bool(self.admin_tokens_list)

    @cached_property
    def admin_tokens_list(self) -> list[str]:
        return [t.strip() for t in self.admin_tokens.split(",") if t.strip()]

    @property
    def trusted_proxy_networks(self) -> tuple[IpNetwork, ...]:
        networks = []
        for entry in (e.strip() for e in self.trusted_proxies.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError as exc:
                raise ValueError(
                    f"PIXPRESS_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
                ) from exc
        return tuple(networks)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MB)

    @property
    def max_pixels(self) -> int:
        return int(self.max_megapixels * 1_000_000)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'pixpress.db').resolve()}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.data_dir / "files").resolve().as_uri()

    @property
    def resolved_metrics_dir(self) -> Path:
        return (self.metrics_dir or self.data_dir / "metrics").resolve()

    @property
    def metrics_listen(self) -> tuple[str, int] | None:
        """PIXPRESS_METRICS_ADDRESS as (host, port); None when unset."""
        if not self.metrics_address:
            return None
        host, sep, port = self.metrics_address.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"PIXPRESS_METRICS_ADDRESS: {self.metrics_address!r} is not host:port")
        return host.strip("[]"), int(port)

    @property
    def queue_path(self) -> Path:
        return (self.data_dir / "queue.db").resolve()

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
