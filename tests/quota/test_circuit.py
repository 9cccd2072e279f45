from pixpress.quota.circuit import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_then_probes_once_and_backs_off() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, open_s=10, max_open_s=25, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert not breaker.allow() and breaker.is_open
    clock.now = 10.1
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one at a time
    breaker.record_failure()  # still down: pause doubles
    clock.now = 25
    assert not breaker.allow()
    clock.now = 30.2
    assert breaker.allow()
    breaker.record_failure()  # capped at 25 s
    clock.now = 30.2 + 25.1
    assert breaker.allow()
    breaker.record_success()
    assert breaker.allow() and not breaker.is_open
