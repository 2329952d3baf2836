"""Run one command and write its peak memory and CPU time as JSON: `python -m benchmarks.measure OUT -- CMD ...`.

Linux carries a process's peak RSS across exec: a child forked from a large process (pytest, or the
bench with dbt imported) reports at least its parent's size in ru_maxrss. This small process is that
child; the command runs as its own child, forked from a process of a few MB, so the rusage this
process reads for it is the command's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    out, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit("usage: python -m benchmarks.measure OUT -- COMMAND [ARG ...]")
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    Path(out).write_text(json.dumps({
        "returncode": os.waitstatus_to_exitcode(status),
        "peak_rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
