"""Several processes of one group add up: the mode prometheus_client picks when a command joins its group
before importing it. Run in a fresh interpreter (this one imported prometheus_client long ago)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import multiprocessing, os, sys
    from pathlib import Path
    from pixpress.metrics import group

    group.start_group(Path(sys.argv[1]))
    from pixpress.metrics import exposition, record

    def worker():
        record.task_done(output_format="jpeg", result_bytes=100)
        record.licence_call("failed", circuit_open=True)

    record.task_done(output_format="jpeg", result_bytes=10)
    processes = [multiprocessing.get_context("fork").Process(target=worker) for _ in range(2)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    print(exposition.render(pending=lambda: 7).decode())
    for p in processes:
        group.mark_process_dead(p.pid)
    print("---")
    print(exposition.render().decode())
    """
)


def test_processes_of_a_group_add_up(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "metrics")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    alive, after_death = done.stdout.split("---")
    assert 'pixpress_tasks_total{error_code="",format="jpeg",outcome="done"} 3.0' in alive
    assert 'pixpress_result_bytes_total{format="jpeg"} 210.0' in alive
    assert "pixpress_queue_depth 7.0" in alive
    assert "pixpress_licence_circuit_open 1.0" in alive
    # Dead processes: their counters stay, their live gauges go.
    assert 'pixpress_result_bytes_total{format="jpeg"} 210.0' in after_death
    assert "pixpress_licence_circuit_open 0.0" in after_death
    assert "pixpress_queue_depth" not in after_death
