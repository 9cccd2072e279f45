"""The metrics settings: the directory's default and PIXPRESS_METRICS_ADDRESS's form."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pixpress.config import Settings


def test_metrics_dir_defaults_to_the_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).resolved_metrics_dir == (tmp_path / "metrics").resolve()
    assert Settings(data_dir=tmp_path, metrics_dir=tmp_path / "m").resolved_metrics_dir == tmp_path / "m"


@pytest.mark.parametrize(
    ("address", "listen"),
    [("", None), ("127.0.0.1:9464", ("127.0.0.1", 9464)), ("[::1]:9464", ("::1", 9464))],
)
def test_metrics_address(address: str, listen: tuple[str, int] | None) -> None:
    assert Settings(metrics_address=address).metrics_listen == listen


@pytest.mark.parametrize("address", ["9464", "localhost:", ":9464", "host:99999", "host:http"])
def test_a_malformed_metrics_address_is_refused_at_start(address: str) -> None:
    with pytest.raises(ValidationError, match="PIXPRESS_METRICS_ADDRESS"):
        Settings(metrics_address=address)
