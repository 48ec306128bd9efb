"""The playground socket: validates run requests, starts and stops runs, relays their frames.

Client → server: {"action": "run", ...form fields...} or {"action": "stop"}.
Server → client: run.started, delta, run.finished, form.invalid and error frames (README).
"""

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.template.loader import render_to_string

from .execution import RunExecution
from .launch import launch_run
from .models import Run
from .request_body import expected_choice_count

logger = logging.getLogger(__name__)

# A run's task gets this long to save its final state after a stop or disconnect.
SHUTDOWN_GRACE_SECONDS = 5


def render_run(run: Run) -> str:
    return render_to_string("runs/playground.html#run-card", {"run": run})


class PlaygroundConsumer(AsyncJsonWebsocketConsumer):
    run_task: asyncio.Task | None = None
    execution: RunExecution | None = None

    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close()
            return
        await self.accept()

    async def disconnect(self, code):
        # Closing the tab stops the run: cancelling closes the upstream connection.
        await self._stop_run_task()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            message = json.loads(text_data or "")
        except ValueError:
            await self.send_frame({"type": "error", "error": "The message is not valid JSON."})
            return
        if not isinstance(message, dict):
            await self.send_frame({"type": "error", "error": "The message must be a JSON object."})
            return
        await self.receive_json(message)

    async def receive_json(self, content, **kwargs):
        handlers = {"run": self.handle_run, "stop": self.handle_stop}
        handler = handlers.get(content.get("action"))
        if handler is None:
            await self.send_frame(
                {"type": "error", "error": "Unknown action: send 'run' or 'stop'."}
            )
            return
        await handler(content)

    async def handle_run(self, content):
        if self.run_task and not self.run_task.done():
            await self.send_frame(
                {"type": "error", "error": "A run is already in progress: stop it first."}
            )
            return
        launch = await database_sync_to_async(launch_run)(self.scope["user"], content)
        if launch.error:
            await self.send_frame({"type": "error", "error": launch.error})
            return
        if launch.run is None:
            await self.send_frame({"type": "form.invalid", "errors": launch.form.errors})
            return
        run = launch.run
        await self.send_frame(
            {
                "type": "run.started",
                "run": run.pk,
                "session": run.session_id,
                "expected_choices": expected_choice_count(run.request_body),
                "request": run.request_body,
            }
        )
        self.execution = RunExecution(run, launch.form.cleaned_data["provider"], self.send_frame)
        self.run_task = asyncio.create_task(self._execute(self.execution))

    async def _execute(self, execution: RunExecution) -> None:
        run = await execution()
        await self.send_frame(
            {
                "type": "run.finished",
                "run": run.pk,
                "status": run.status,
                "error": run.error,
                "notices": run.notices,
                "usage": run.usage,
                "html": await database_sync_to_async(render_run)(run),
            }
        )

    async def handle_stop(self, content):
        if not (self.run_task and not self.run_task.done()):
            await self.send_frame({"type": "error", "error": "No run is in progress."})
            return
        self.execution.stop()

    async def _stop_run_task(self):
        task = self.run_task
        if task and not task.done():
            self.execution.stop()
            await asyncio.wait([task], timeout=SHUTDOWN_GRACE_SECONDS)

    async def send_frame(self, frame: dict) -> None:
        """Sends a frame, ignoring a socket that is already gone (the run still saves)."""
        try:
            await self.send_json(frame)
        except Exception:
            logger.debug("Dropped a frame for a closed socket", exc_info=True)
