"""A one-machine Ray cluster on loopback, in a temporary directory of its own: what the tests and
`benchmarks/classroom.py --executor ray` train on (a school's cluster is started as `deploy/` shows).

Every Ray port listens on 127.0.0.1 (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 with --node-ip-address=127.0.0.1 keeps
Ray from "resolving" loopback to the machine's network address; see ../shared/NOTES.md). `ray start --block`
runs in a session of its own, and every process of the cluster (workers included) stays in that session, so
stopping the cluster is killing that session: nothing else on the machine (another Ray a developer runs) is
touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# RAY_AUTH_MODE: Ray 2.60 turns token authentication on by itself when ~/.ray/auth_token exists (any local
# `ray.init()` writes one), and then this cluster and its clients disagree; a loopback-only cluster needs none.
LOOPBACK_ONLY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


def free_port() -> int:
    """A loopback port nothing listens on now (for a server a test or the benchmark starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class LocalCluster:
    """A running one-machine cluster."""

    address: str  # host:port, for TL_RAY_ADDRESS or ray.init
    session: int  # the session id every process of the cluster runs in (`ray start`'s process id)

    def processes(self) -> list[int]:
        """The cluster's processes now: head, raylet, job board, trainers, idle workers."""
        return cluster_processes(self.session)


@contextlib.contextmanager
def ray_cluster(cpus: int = 2) -> Iterator[LocalCluster]:
    """Start a head node with `cpus` CPUs and yield it once it answers; stops it, with every worker.

    While it runs, this process's environment keeps Ray on loopback (`LOOPBACK_ONLY`), so `ray.init` here and
    in the app servers a test starts with that environment connects over 127.0.0.1 too.
    """
    ray = Path(sys.executable).with_name("ray")
    temp_dir = tempfile.mkdtemp(prefix="rt-", dir="/tmp")  # short: Ray's Unix socket paths must fit 107 bytes
    port = free_port()
    environment = {**os.environ, **LOOPBACK_ONLY}
    command = [str(ray), "start", "--head", "--block", f"--num-cpus={cpus}", "--include-dashboard=false"]
    command += ["--node-ip-address=127.0.0.1", f"--port={port}", f"--ray-client-server-port={free_port()}"]
    command += [f"--temp-dir={temp_dir}", "--disable-usage-stats"]
    log = open(Path(temp_dir) / "ray-start.log", "w")  # noqa: SIM115 (closed below)
    head = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:
        _wait_for_port(port, head, Path(temp_dir) / "ray-start.log")
        os.environ.update(LOOPBACK_ONLY)  # this process connects too (ray.init reads them)
        yield LocalCluster(address, head.pid)
    finally:
        with contextlib.suppress(Exception):
            import ray as ray_module

            ray_module.shutdown()
        _kill_session(head.pid)  # the GCS, the raylet and every worker (their process groups are their own)
        head.wait()
        log.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def cluster_processes(session: int) -> list[int]:
    """Every process of the cluster whose `ray start` has process id `session` (for measuring their memory)."""
    return [pid for pid, process_session in _processes() if process_session == session]


def _processes() -> Iterator[tuple[int, int]]:
    """(pid, session id) of every process on the machine."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        yield int(entry.name), int(fields[3])  # after the name: state, ppid, pgrp, session


def _wait_for_port(port: int, head: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise RuntimeError(f"ray start ended ({head.returncode}):\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(1.0)  # the GCS answers before the raylet has registered: let it
                return
        time.sleep(0.2)
    raise RuntimeError(f"Ray did not start within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _kill_session(session: int) -> None:
    """SIGKILL every process of the session `ray start` led: nothing of a test cluster is worth a clean stop,
    and Ray's own stop waits ~20 s for workers that outlive it."""
    for pid in cluster_processes(session):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
