import time

from pixpress.tasks.scheduler import Job, PeriodicJobs


def test_jobs_run_at_their_interval_and_failures_do_not_stop_others() -> None:
    runs: list[str] = []

    def broken() -> None:
        runs.append("broken")
        raise RuntimeError("boom")

    jobs = PeriodicJobs(
        [Job("fast", 0.05, lambda: runs.append("fast")), Job("broken", 0.05, broken)], tick_s=0.01
    )
    jobs.start()
    time.sleep(0.5)  # first run is min(interval, 5 s) after start
    jobs.stop()
    assert runs.count("fast") >= 3
    assert runs.count("broken") >= 3
