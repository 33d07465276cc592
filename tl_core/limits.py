"""What one server allows, from the environment: read by the training queue (`jobs`) and by the lowest layer
(`backend`, which sizes TensorFlow's thread pools for the allowed concurrent fits), so it sits below both."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class QueueLimits:
    """What one server allows; a teacher raises them with the environment variables named in `from_env`."""

    max_concurrent_fits: int = 1  # two cores: one fit uses both; two at once only slow each other down
    max_queued_jobs: int = 60  # unfinished jobs on the server: two per student of a large class
    max_job_seconds: float = 120.0  # estimated trainer seconds per job: ten default comparisons on 2 cores

    @classmethod
    def from_env(cls) -> QueueLimits:
        """`TL_MAX_CONCURRENT_FITS`, `TL_MAX_QUEUED_JOBS`, `TL_MAX_JOB_SECONDS`; unreadable values: defaults."""
        defaults = cls()
        return cls(
            max_concurrent_fits=int(_env_number("TL_MAX_CONCURRENT_FITS", defaults.max_concurrent_fits, 1)),
            max_queued_jobs=int(_env_number("TL_MAX_QUEUED_JOBS", defaults.max_queued_jobs, 1)),
            max_job_seconds=_env_number("TL_MAX_JOB_SECONDS", defaults.max_job_seconds, 1.0),
        )


def _env_number(name: str, default: float, lowest: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return max(lowest, value) if math.isfinite(value) else default  # NaN or infinite -> default


def max_concurrent_fits() -> int:
    """`TL_MAX_CONCURRENT_FITS`, default 1; anything unreadable falls back to the default."""
    return QueueLimits.from_env().max_concurrent_fits
