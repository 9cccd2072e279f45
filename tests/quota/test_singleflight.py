import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pixpress.quota.singleflight import SingleFlight


def test_concurrent_callers_share_one_call_and_its_error() -> None:
    flight: SingleFlight[int] = SingleFlight()
    calls = 0
    barrier = threading.Barrier(10)

    def slow() -> int:
        nonlocal calls
        calls += 1
        time.sleep(0.2)
        return 42

    def ask(_: int) -> int:
        barrier.wait()
        return flight.do("k", slow)

    with ThreadPoolExecutor(10) as pool:
        assert set(pool.map(ask, range(10))) == {42}
    assert calls == 1

    def broken() -> int:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        flight.do("k", broken)
    assert flight.do("k", lambda: 7) == 7  # a finished flight is forgotten
