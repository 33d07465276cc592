"""Run Python in a user and mount namespace where a directory is read-only or a tiny disk.

Tests run as root here, and root writes through file permissions: a read-only directory or a full disk
can only be made real with a mount. `unshare` gives the child its own mounts (nothing outside changes):
a read-only bind mount of a directory, or a small tmpfs that fills up like a full disk.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_confined(
    code: str,
    *,
    read_only: Path | None = None,
    small_disk: tuple[Path, int] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess:
    """Run `code` (a script) with `read_only` mounted read-only, or `small_disk` = (dir, KiB) as a tiny tmpfs."""
    script = (small_disk[0] if small_disk else read_only).parent / "confined_script.py"
    script.write_text(code)
    mounts = []
    if read_only is not None:
        mounts.append(f"mount --bind -o ro {shlex.quote(str(read_only))} {shlex.quote(str(read_only))}")
    if small_disk is not None:
        directory, kib = small_disk
        mounts.append(f"mount -t tmpfs -o size={int(kib)}k tmpfs {shlex.quote(str(directory))}")
    command = " && ".join([*mounts, f"exec {shlex.quote(sys.executable)} {shlex.quote(str(script))}"])
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", command],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(script.parent), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
