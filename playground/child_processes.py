"""What every child process of `manage.py serve` shares: it dies with serve, and stops the
same way (SIGTERM, then SIGKILL if it lingers)."""

import ctypes
import signal
import subprocess
import sys


def die_with_parent() -> None:
    # Linux: the child gets SIGTERM if the playground dies, so it is never orphaned.
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within timeout seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
