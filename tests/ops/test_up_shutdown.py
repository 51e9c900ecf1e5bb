"""``up``'s Ctrl+C: the worker and beat are stopped together, with one deadline for all of
them (not one per child, one after another), and nothing they started outlives them.

The deadline is checked on a clock the test controls, so a loaded machine cannot change
the answer; the real processes below are only asked to be gone, not to be quick.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from worker import wait_for

from tsunagu.management.commands import up


class StubbornChild:
    """A child that ignores SIGTERM: its wait() uses up the time it is given."""

    def __init__(self, clock: list[float], log: list[str], name: str) -> None:
        self.clock, self.log, self.name = clock, log, name
        self.pid = -1
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.log.append(f"terminate {self.name}")

    def kill(self) -> None:
        self.log.append(f"kill {self.name}")
        self.returncode = -9

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.log.append(f"wait {self.name}")
            self.clock[0] += timeout or 0.0
            raise subprocess.TimeoutExpired("child", timeout)
        return self.returncode


def test_all_children_share_one_deadline_then_are_killed(monkeypatch):
    monkeypatch.setattr(up, "OWN_GROUP", {})  # fake children have no process group
    clock, log = [0.0], []
    children = [StubbornChild(clock, log, name) for name in ("worker", "beat", "third")]
    up.stop_children(children, timeout=10.0, clock=lambda: clock[0])
    # Signalled together, before any wait …
    assert log[:3] == ["terminate worker", "terminate beat", "terminate third"]
    # … waited for until one deadline: 10 s in all, not 10 s for each of them …
    assert clock[0] == 10.0
    # … then what is left is killed.
    assert [entry for entry in log if entry.startswith("kill")] == [
        "kill worker",
        "kill beat",
        "kill third",
    ]
    assert all(child.poll() == -9 for child in children)


def test_a_child_that_stops_in_time_is_not_killed(monkeypatch):
    monkeypatch.setattr(up, "OWN_GROUP", {})
    clock, log = [0.0], []
    quick, slow = StubbornChild(clock, log, "beat"), StubbornChild(clock, log, "worker")
    quick.terminate = lambda: setattr(quick, "returncode", 0)  # stops when asked
    up.stop_children([quick, slow], timeout=5.0, clock=lambda: clock[0])
    assert quick.poll() == 0 and slow.poll() == -9
    assert "kill beat" not in log and clock[0] == 5.0


# A process that ignores SIGTERM, like a worker busy with a long task, and starts one
# process of its own (like a worker's pool process) that ignores it too.
STUBBORN = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
print(child.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False


def test_real_children_and_the_processes_they_started_are_gone():
    children = [
        subprocess.Popen(
            [sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True, **up.OWN_GROUP
        )
        for _ in range(2)
    ]
    try:
        grandchildren = [int(child.stdout.readline()) for child in children]
        pids = [child.pid for child in children] + grandchildren
        assert all(_alive(pid) for pid in pids)
        up.stop_children(children, timeout=1.0)
        assert all(child.poll() is not None for child in children)
        # The grandchildren are not ours to reap (init does): wait until they are gone.
        assert wait_for(lambda: not any(_alive(pid) for pid in grandchildren), 60)
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            child.stdout.close()
