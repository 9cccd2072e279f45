"""A worker process forked while the consumer's periodic job writes to SQLite must still be able to write
(tasks/fork_guard.py). Without the guard the child inherits the job's lock and every write it makes is
refused as "database is locked"; a real serve lost a re-queued task that way."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from pixpress.db.session import Database
from pixpress.tasks import fork_guard


def _child_writes(path: Path) -> int:
    """Fork; the child writes to the database with a 2 s busy timeout. Its exit code: 0 when it could."""
    pid = os.fork()
    if pid == 0:  # the child: no pytest from here on, only os._exit
        signal.alarm(10)  # a gate left closed in the child would hang it: die instead
        try:
            with fork_guard.between_forks(lambda: None):
                connection = sqlite3.connect(path, timeout=2, isolation_level=None)
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("INSERT INTO t VALUES (2)")
                connection.execute("COMMIT")
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_fork_waits_for_the_job_and_the_child_can_write(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    database = Database(f"sqlite:///{path}")
    with database.session() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    fork_guard.install()
    inside, leave = threading.Event(), threading.Event()
    released: list[bool] = []

    def job() -> None:  # what the consumer's periodic thread does: a write, under the guard
        def release() -> None:
            database.engine.dispose()
            released.append(True)

        with fork_guard.between_forks(release), database.session(write=True) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=job)
    thread.start()
    assert inside.wait(10)
    threading.Timer(0.3, leave.set).start()
    code = _child_writes(path)  # forks while the job holds its write lock: the fork waits
    thread.join(10)
    assert released == [True]
    assert code == 0, "the forked process could not write: it inherited the job's lock"
    with sqlite3.connect(path) as connection:
        assert sorted(connection.execute("SELECT x FROM t")) == [(1,), (2,)]
    database.dispose()


def test_the_child_starts_with_an_open_gate_even_when_forked_from_inside_one(tmp_path: Path) -> None:
    fork_guard.install()
    (tmp_path / "x.db").touch()
    with sqlite3.connect(tmp_path / "x.db") as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
    with fork_guard.between_forks(lambda: None):  # the forking thread itself holds it (re-entrant)
        assert _child_writes(tmp_path / "x.db") == 0
