"""The playground socket: validates run requests, starts and stops runs, relays their frames.

Client → server: {"action": "run", ...form fields...}, {"action": "compare", ...form fields...,
"columns": [...]} (comparing.py), {"action": "stop"} (a run, or every column; with "run": id,
that column only), {"action": "ping"}, and {"action": "explore" or "score", "request": id,
...form fields...} (exploring.py).
Server → client: run.started, delta, tokens (each token's logprobs, after the delta with its
text), run.finished, form.invalid, compare.started, column.finished, compare.finished,
compare.invalid, explore.result, score.result, their .error frames and error frames (README).
The socket lives only as long as its login: see accounts/sockets.py.

The apps above extend it through one hook, relay_for(run), and their own actions
(sharing's presenter relays a live session's runs to its viewers: sharing/presenter.py).
"""

import asyncio
import functools
import logging
from typing import Protocol

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import DatabaseError

from playground.accounts.sockets import ClosesWhenAccessEnds
from playground.completions.request_body import expected_choice_count
from playground.runs.cards import render_run_card
from playground.runs.comparisons import column_figures
from playground.runs.models import Run
from playground.sessions.state import take_in_run
from playground.sockets.dispatch import LeanDispatch
from playground.sockets.frames import RefusedFrame, read_message
from playground.sockets.outgoing import MAX_FRAME_BYTES, fit

from .accumulator import CompletionAccumulator
from .comparing import launch_comparison
from .execution import NOT_SAVED, RunExecution, SendFrame
from .exploring import Kind, Lookup, answer, prepare, request_id
from .launch import launch_run

logger = logging.getLogger(__name__)

DATABASE_DOWN = (
    "The database cannot be reached right now, so the run was not started. Try again in a moment."
)

DATABASE_DOWN_LOOKUP = (
    "The database cannot be reached right now, so nothing was sent. Try again in a moment."
)
# The answer to an explorer or scoring request that a newer one of its kind replaced.
SUPERSEDED = "Superseded by a newer request of this kind from this page; it was cancelled."

# A run's task gets this long to save its final state after a stop or disconnect.
SHUTDOWN_GRACE_SECONDS = 5

# What the card of a run says when its page closed or lost its connection mid-run.
SOCKET_CLOSED = (
    "The page's connection closed during this run, so the run stopped there; "
    "the text received until then is kept."
)

# What a socket whose login ended (a logout, a password change elsewhere) is told, and what
# the card of a run it had going says.
LOGIN_ENDED = (
    "This page's login ended (a logout or a password change). "
    "Reload the page, and log in again if asked."
)
LOGIN_ENDED_DURING_RUN = (
    "This page's login ended during this run (a logout or a password change), so the run "
    "stopped there; the text received until then is kept."
)


class Relay(Protocol):
    """Where a run's frames go besides this socket (a live demo's viewers, say)."""

    async def send(self, frame: dict) -> None: ...


def _take_in_and_render(
    run: Run, output: CompletionAccumulator, for_relay: bool
) -> tuple[str | None, str | None]:
    """After the final save: the session's document becomes the run's (sessions/state.py),
    then its cards are rendered, in the same trip to the database thread."""
    take_in_run(run)
    return _render_cards(run, output, for_relay)


def _render_cards(
    run: Run, output: CompletionAccumulator, for_relay: bool
) -> tuple[str | None, str | None]:
    """The run's card for its page and, when it is relayed, the read-only one.

    None for a card too large for one frame, whose text and raw response alone are: the page
    fetches it instead (outgoing.py), and rendering it only to drop it made long runs end
    later (by 50 to 100 ms at 20,000 tokens in `make bench`, figure 8).
    """
    if output.whole_size > MAX_FRAME_BYTES:
        return None, None
    return render_run_card(run), render_run_card(run, read_only=True) if for_relay else None


def column_finished_frame(run: Run, saved: bool) -> dict:
    """A comparison's column has ended: its figures, for the column's footer."""
    frame = {"type": "column.finished", **column_figures(run)}
    return frame if saved else {**frame, "error": NOT_SAVED}


class PlaygroundConsumer(ClosesWhenAccessEnds, LeanDispatch, AsyncJsonWebsocketConsumer):
    # A run's message goes straight to its handler: on the way to the first token.
    messages_without_database = frozenset({"websocket.receive", "access.recheck"})
    access_revoked_error = LOGIN_ENDED

    run_task: asyncio.Task | None = None
    execution: RunExecution | None = None
    # A comparison's columns while it runs (run_task is then the comparison's): run id → its
    # execution. Empty for a single run.
    columns: dict[int, RunExecution]
    # The explorer's and scoring's request in flight, of each kind: (its id, its task).
    lookups: dict[Kind, tuple[str | int, asyncio.Task]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lookups = {}
        self.columns = {}

    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close()
            return
        await self.join_user_group()
        await self.accept()

    def has_access(self, user) -> bool:
        return user.is_authenticated

    async def disconnect(self, code):
        await self.leave_user_group()
        # Closing the tab stops the run: cancelling closes the upstream connection.
        await self._cancel_lookups()
        await self._stop_run_task()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            message = read_message(text_data, bytes_data)
        except RefusedFrame as exc:
            await self.send_frame({"type": "error", "error": str(exc)})
            return
        await self.receive_json(message)

    def action_handlers(self) -> dict:
        """The client's actions and their handlers; a subclass adds its own."""
        return {
            "run": self.handle_run,
            "compare": self.handle_compare,
            "stop": self.handle_stop,
            "explore": self.handle_explore,
            "score": self.handle_score,
            "ping": self.handle_ping,
        }

    async def receive_json(self, content, **kwargs):
        handlers = self.action_handlers()
        action = content.get("action")
        handler = handlers.get(action) if isinstance(action, str) else None
        if handler is None:
            names = [f"'{name}'" for name in handlers if name != "ping"]
            await self.send_frame(
                {
                    "type": "error",
                    "error": f"Unknown action: send {', '.join(names[:-1])} or {names[-1]}.",
                }
            )
            return
        await handler(content)

    def relay_for(self, run: Run) -> Relay | None:
        """The hook: where this run's frames go besides this socket (None: nowhere)."""
        return None

    async def _launched(self, launch_with, content: dict, what: str):
        """launch_with(user, content) in the database thread: a run's or a comparison's
        launch, or None once the page is told why nothing starts (one is going already, the
        database is away, the login ended, or the launch's own refusal)."""
        if self.run_task and not self.run_task.done():
            await self.send_frame(
                {"type": "error", "error": "A run is already in progress: stop it first."}
            )
            return None

        # In the same trip to the database thread as the launch: a socket opened before a
        # logout or a password change elsewhere starts nothing, even if it missed the push.
        def if_logged_in():
            return launch_with(self.scope["user"], content) if self.has_access_now() else None

        try:
            launch = await database_sync_to_async(if_logged_in)()
        except DatabaseError:
            # PostgreSQL restarting, say: the socket stays, and the next one may work.
            logger.warning("Could not start a %s", what, exc_info=True)
            await self.send_frame({"type": "error", "error": DATABASE_DOWN})
            return None
        if launch is None:
            await self.revoke_access()
            return None
        if launch.error:
            await self.send_frame({"type": "error", "error": launch.error})
            return None
        return launch

    async def handle_run(self, content):
        launch = await self._launched(launch_run, content, "run")
        if launch is None:
            return
        if launch.run is None:
            await self.send_frame({"type": "form.invalid", "errors": launch.form.errors})
            return
        run = launch.run
        relay = self.relay_for(run)
        send = self.send_frame if relay is None else self._sender_with(relay)
        await send(
            {
                "type": "run.started",
                "run": run.pk,
                "session": run.session_id,
                "expected_choices": expected_choice_count(run.request_body),
                "request": run.request_body,
                "sent_requests": run.sent_requests,
            }
        )
        self.execution = RunExecution(
            run, launch.form.cleaned_data["provider"], send, quirks=launch.quirks
        )
        # Rendered right after the final save, in the same trip to the database thread.
        self.execution.after_save = functools.partial(
            _take_in_and_render, output=self.execution.accumulator, for_relay=relay is not None
        )
        self.run_task = asyncio.create_task(self._execute(self.execution, relay))

    def _sender_with(self, relay: Relay):
        async def send_and_relay(frame: dict) -> None:
            await self.send_frame(frame)
            await relay.send(frame)

        return send_and_relay

    async def _execute(self, execution: RunExecution, relay: Relay | None) -> None:
        run = await execution()
        frame = {
            "type": "run.finished",
            "run": run.pk,
            "status": run.status,
            "error": run.error,
            "notices": run.notices,
            "usage": run.usage,
        }
        if not execution.saved:
            frame = {**frame, "html": None, "saved": False, "error": NOT_SAVED}
            await self.send_frame(frame)
            if relay is not None:
                await relay.send(frame)
            return
        html, relayed_html = execution.after_save_result
        await self.send_frame({**frame, "html": html})
        if relay is not None:
            await relay.send({**frame, "html": relayed_html})

    async def handle_ping(self, content):
        # The page pings when the socket has been quiet, to tell a hung server from an idle one.
        await self.send_frame({"type": "pong"})

    async def handle_compare(self, content):
        launch = await self._launched(launch_comparison, content, "comparison")
        if launch is None:
            return
        if launch.invalid:
            errors = {str(index): errors for index, errors in launch.invalid.items()}
            await self.send_frame({"type": "compare.invalid", "columns": errors})
            return
        comparison = launch.comparison
        # A live demo's viewers see every column stream, as they see a run.
        relay = self.relay_for(launch.columns[0].run)
        send = self.send_frame if relay is None else self._sender_with(relay)
        await send(
            {
                "type": "compare.started",
                "comparison": comparison.pk,
                "session": comparison.session_id,
                "created_at": comparison.created_at.isoformat(),
                "columns": [
                    {
                        "run": column.run.pk,
                        "column": column.run.column,
                        "provider": column.provider.name,
                        "model": column.run.model,
                        "request": column.run.request_body,
                    }
                    for column in launch.columns
                ],
            }
        )
        self.columns = {
            column.run.pk: RunExecution(column.run, column.provider, send, quirks=column.quirks)
            for column in launch.columns
        }
        self.run_task = asyncio.create_task(self._compare(comparison.pk, self.columns, send))

    async def _compare(
        self, comparison_id: int, columns: dict[int, RunExecution], send: SendFrame
    ) -> None:
        """Every column at once; each says when it ends, and a failure stays in its column."""

        async def column(execution: RunExecution) -> None:
            run = await execution()
            await send(column_finished_frame(run, execution.saved))

        try:
            await asyncio.gather(*(column(execution) for execution in columns.values()))
        finally:
            self.columns = {}
        await send({"type": "compare.finished", "comparison": comparison_id})

    async def handle_stop(self, content):
        if not (self.run_task and not self.run_task.done()):
            await self.send_frame({"type": "error", "error": "No run is in progress."})
            return
        if not self.columns:
            self.execution.stop()
            return
        run = content.get("run")
        if run is None:
            for execution in self.columns.values():
                execution.stop()
        elif run in self.columns:
            self.columns[run].stop()
        else:
            await self.send_frame(
                {"type": "error", "error": "No column of the comparison going is that run."}
            )

    async def _stop_run_task(self, reason=SOCKET_CLOSED):
        task = self.run_task
        if task and not task.done():
            for execution in self.columns.values() or [self.execution]:
                execution.stop(reason)
            await asyncio.wait([task], timeout=SHUTDOWN_GRACE_SECONDS)

    async def handle_explore(self, content):
        await self._look_up(Kind.EXPLORE, content)

    async def handle_score(self, content):
        await self._look_up(Kind.SCORE, content)

    async def _look_up(self, kind: Kind, content: dict) -> None:
        """Starts an explorer or scoring request beside whatever runs: a run's stop leaves
        it alone, and it leaves the run alone. A newer one of the same kind supersedes it."""
        request = request_id(content)
        if request is None:
            await self.send_frame(
                {
                    "type": "error",
                    "error": f"A {kind} message needs a request id: a string of at most 100 "
                    "characters, or a whole number.",
                }
            )
            return
        await self._supersede(kind)
        try:
            lookup = await database_sync_to_async(self._prepare_if_logged_in)(
                kind, request, content
            )
        except DatabaseError:
            logger.warning("Could not prepare a %s request", kind, exc_info=True)
            await self.send_frame(Lookup(kind, request).error_frame(DATABASE_DOWN_LOOKUP))
            return
        if lookup is None:
            await self.revoke_access()
            return
        if lookup.error:
            await self.send_frame(lookup.error_frame(lookup.error))
            return
        task = asyncio.create_task(self._answer_lookup(lookup))
        self.lookups[kind] = (request, task)

    def _prepare_if_logged_in(self, kind: Kind, request, content) -> Lookup | None:
        # As for a run: a socket whose login ended sends nothing upstream.
        if not self.has_access_now():
            return None
        return prepare(self.scope["user"], kind, request, content)

    async def _answer_lookup(self, lookup: Lookup) -> None:
        frame = await answer(lookup)
        # No await since answer() returned: a newer request that finds this one still in
        # self.lookups cancels it before it can send.
        current = self.lookups.get(lookup.kind)
        if current is not None and current[1] is asyncio.current_task():
            del self.lookups[lookup.kind]
        await self.send_frame(frame)

    async def _supersede(self, kind: Kind) -> None:
        """Cancels the request of this kind in flight, if any (closing its connection), and
        answers it, so that every request gets one answer."""
        in_flight = self.lookups.pop(kind, None)
        if in_flight is None:
            return
        request, task = in_flight
        task.cancel()
        await self.send_frame(Lookup(kind, request).error_frame(SUPERSEDED))

    async def _cancel_lookups(self) -> None:
        tasks = [task for _, task in self.lookups.values()]
        self.lookups.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            # Cancelled, they only close their connections: a moment.
            await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)

    async def on_access_revoked(self):
        await self._cancel_lookups()
        await self._stop_run_task(LOGIN_ENDED_DURING_RUN)

    async def send_frame(self, frame: dict) -> None:
        """Sends a frame, ignoring a socket that is already gone (the run still saves).

        A frame too large for one message goes as several, or smaller (outgoing.py).
        """
        try:
            for text in fit(frame):
                await self.send(text_data=text)
        except Exception:
            logger.debug("Dropped a frame for a closed socket", exc_info=True)
