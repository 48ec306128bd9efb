"""A pytest plugin: no API key nor header value may appear in anything the app produced.

It reads every HTTP response (status line, headers and body, streamed ones too) of
Django's test clients, every ASGI message an application communicator hands a test
(websocket frames, HTTP bodies), every log record, every page, fragment and socket frame
Chromium receives in the browser tests, and at the end every file the suite left in its
temporary directory (the live servers' logs, downloaded exports).

It looks there for the secrets the suite made: every provider API key and extra-header
value saved (a pre_save receiver records them) and anything carrying the test keys' marker
(tests.factories.fake_api_key, fake_header_value), which also covers secrets made in other
processes. A secret found anywhere fails the session, with a list of where it was found,
whichever tests ran.

On pytest-xdist's workers (`make test-fast`) each worker audits what its own tests
produced and hands its findings to the controller, which reports them and fails the session.
"""

import contextlib
import dataclasses
import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .factories import KEY_MARKER

# Shorter values (a fuzzed one-letter "key") would be found in any page by chance.
SHORTEST_SECRET = 12
LARGEST_FILE = 20_000_000
MARKED = re.compile(re.escape(KEY_MARKER) + r"[\w-]*")


@dataclass
class Leak:
    secret: str
    where: str
    test: str


@dataclass
class SecretsAudit:
    secrets: set[str] = field(default_factory=set)
    leaks: list[Leak] = field(default_factory=list)
    current_test: str = "(outside any test)"
    scanned: int = 0

    def remember(self, secret: str | None) -> None:
        if secret and len(secret) >= SHORTEST_SECRET:
            self.secrets.add(secret)

    def scan(self, content, where: str) -> None:
        if not content:
            return
        text = content if isinstance(content, str) else bytes(content).decode("utf-8", "replace")
        self.scanned += 1
        found = set(MARKED.findall(text)) | {secret for secret in self.secrets if secret in text}
        for secret in sorted(found):
            self.leaks.append(Leak(secret, where, self.current_test))


audit = SecretsAudit()


# --- What the suite hands the app, and what the app hands back --------------------------


def _remember_secrets(sender, instance, **kwargs) -> None:
    audit.remember(instance.api_key)
    with contextlib.suppress(ValueError, AttributeError):
        for value in instance.extra_header_items().values():
            audit.remember(value)


def _scan_response(response, where: str) -> None:
    audit.scan(f"{response.status_code} {response.headers}", f"{where} headers")
    if not response.streaming:
        audit.scan(response.content, f"{where} body")
    elif response.is_async:
        response.streaming_content = _scanned_async_chunks(response.streaming_content, where)
    else:
        response.streaming_content = _scanned_chunks(response.streaming_content, where)


def _scanned_chunks(chunks, where):
    for chunk in chunks:
        audit.scan(chunk, f"{where} body")
        yield chunk


async def _scanned_async_chunks(chunks, where):
    async for chunk in chunks:
        audit.scan(chunk, f"{where} body")
        yield chunk


def _describe(environ_or_scope) -> str:
    if "REQUEST_METHOD" in environ_or_scope:
        return f"HTTP {environ_or_scope['REQUEST_METHOD']} {environ_or_scope['PATH_INFO']}"
    return f"HTTP {environ_or_scope.get('method')} {environ_or_scope.get('path')}"


def _patch_test_clients(monkeypatch) -> None:
    from django.test.client import AsyncClientHandler, ClientHandler

    sync_call, async_call = ClientHandler.__call__, AsyncClientHandler.__call__

    @functools.wraps(sync_call)
    def call(self, environ):
        response = sync_call(self, environ)
        _scan_response(response, _describe(environ))
        return response

    @functools.wraps(async_call)
    async def async_call_and_scan(self, scope):
        response = await async_call(self, scope)
        _scan_response(response, _describe(scope))
        return response

    monkeypatch.setattr(ClientHandler, "__call__", call)
    monkeypatch.setattr(AsyncClientHandler, "__call__", async_call_and_scan)


def _patch_communicators(monkeypatch) -> None:
    from asgiref.testing import ApplicationCommunicator

    receive_output = ApplicationCommunicator.receive_output

    @functools.wraps(receive_output)
    async def receive_and_scan(self, *args, **kwargs):
        message = await receive_output(self, *args, **kwargs)
        where = f"ASGI {message.get('type')} on {self.scope.get('path')}"
        for key in ("text", "bytes", "body", "headers", "reason"):
            if message.get(key):
                audit.scan(
                    message[key] if key != "headers" else repr(message[key]), f"{where} {key}"
                )
        return message

    monkeypatch.setattr(ApplicationCommunicator, "receive_output", receive_and_scan)


class _AuditHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            audit.scan(self.format(record), f"log record of {record.name}")


_log_handler = _AuditHandler(logging.DEBUG)


def _attach_log_handler() -> None:
    # Django's logging setup replaces the root logger's handlers: attach after it, and again
    # should anything configure logging anew.
    root = logging.getLogger()
    if _log_handler not in root.handlers:
        root.addHandler(_log_handler)


def watch_browser_context(context) -> None:
    """Scans the pages, fragments and socket frames a Playwright context receives."""
    from playwright.sync_api import Error as PlaywrightError

    def on_request_finished(request) -> None:
        if request.resource_type not in ("document", "xhr", "fetch"):
            return
        with contextlib.suppress(PlaywrightError):
            response = request.response()
            if response is not None:
                where = f"browser {request.method} {request.url}"
                audit.scan(str(response.headers), f"{where} headers")
                audit.scan(response.body(), f"{where} body")

    def on_websocket(socket) -> None:
        socket.on(
            "framereceived", lambda payload: audit.scan(payload, f"browser socket {socket.url}")
        )

    context.on("requestfinished", on_request_finished)
    context.on("page", lambda page: page.on("websocket", on_websocket))


def _scan_files(directory: Path) -> None:
    for path in sorted(directory.rglob("*")):
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink() and path.stat().st_size < LARGEST_FILE:
                audit.scan(path.read_bytes(), f"file {path}")


# --- Hooks ------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def secrets_audit(tmp_path_factory):
    from django.db.models.signals import pre_save

    from playground.providers.models import Provider

    pre_save.connect(_remember_secrets, sender=Provider, weak=False)
    logging.getLogger("playground").setLevel(logging.DEBUG)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _patch_test_clients(monkeypatch)
        _patch_communicators(monkeypatch)
        yield audit
    pre_save.disconnect(_remember_secrets, sender=Provider)
    audit.current_test = "(files left by the suite)"
    _scan_files(tmp_path_factory.getbasetemp())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    audit.current_test = item.nodeid
    _attach_log_handler()
    try:
        return (yield)
    finally:
        audit.current_test = "(between tests)"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    # trylast: after the session fixtures' teardown, where the files are read.
    logging.getLogger().removeHandler(_log_handler)
    if hasattr(session.config, "workeroutput"):
        # An xdist worker: its exit status is not the session's, so the controller decides.
        session.config.workeroutput["secrets_audit"] = {
            "scanned": audit.scanned,
            "leaks": [dataclasses.asdict(leak) for leak in audit.leaks],
        }
        return
    if audit.leaks and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    # On the xdist controller, before its own pytest_sessionfinish: a worker's findings.
    found = getattr(node, "workeroutput", {}).get("secrets_audit")
    if found:
        audit.scanned += found["scanned"]
        audit.leaks.extend(Leak(**leak) for leak in found["leaks"])


def pytest_terminal_summary(terminalreporter):
    if not audit.leaks:
        terminalreporter.write_line(
            f"Secrets audit: no API key in {audit.scanned} responses, frames, log records "
            "and files."
        )
        return
    terminalreporter.section("API keys leaked", red=True)
    for leak in audit.leaks[:50]:
        terminalreporter.write_line(f"{leak.secret!r} in {leak.where} (test {leak.test})")
    if len(audit.leaks) > 50:
        terminalreporter.write_line(f"... and {len(audit.leaks) - 50} more")
