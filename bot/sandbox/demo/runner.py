"""The demo's world: the real app wired to the Slack emulator, driven exactly as Slack drives it.

:class:`DemoWorld` starts the Slack Web API emulator (:class:`bot.sandbox.emulator.SlackEmulator`) with a
small workspace (people, channels, user groups of ``examples/contracts.yaml``), bootstraps the real
app (:func:`bot.app.bootstrap`) on a temporary SQLite database with a signing secret of its own, and
serves its web app on a local port (:class:`bot.server.BackgroundServer`). People act through
signed requests into ``POST /slack/events`` (slash commands, message and reaction events, button
clicks, modal submissions — :mod:`bot.sandbox.emulator.inbound`); the real sweeper and notifier
(:func:`bot.scheduler.alert_workers`) and the features' scheduled jobs run on a
:class:`bot.clock.ManualClock` that the script moves forward, so a day passes in seconds and the
same run gives the same conversation every time.

Everything the app says goes through the emulator, which records each Web API call
(``SlackEmulator.calls``, and the ``--transcript`` JSON lines); :mod:`bot.sandbox.demo.transcript` turns
those calls and the people's actions into the conversation printed on the terminal.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot import features
from bot.app import bootstrap
from bot.clock import ManualClock
from bot.example_files import shipped
from bot.sandbox.demo.transcript import Conversation, Entry
from bot.sandbox.emulator import SlackEmulator, inbound
from bot.sandbox.workspace import CHANNELS, GROUPS, seed  # the example workspace
from bot.scheduler import alert_workers, notifier_clients
from bot.server import BackgroundServer
from bot.settings import Settings
from sla.sentiment import score
from storage.models import MetricTimerRow, Notification, NotificationState

log = logging.getLogger(__name__)

TEAM = inbound.DEFAULT_TEAM_ID
SIGNING_SECRET = "slabot-demo-signing-secret"
BOT_TOKEN = "xoxb-slabot-demo"
REPORTS_CHANNEL = "C0REPORTS1"


def example_contracts() -> Path:
    """The example contract file: ``examples/contracts.yaml`` of the checkout the demo runs from, else
    the copy shipped inside the package (a non-editable install has no ``examples/`` folder)."""
    here = Path("examples/contracts.yaml")
    if here.is_file():
        return here
    checkout = Path(__file__).resolve().parents[3] / "examples" / "contracts.yaml"
    if checkout.is_file():
        return checkout
    copy = shipped("contracts.yaml")
    if copy.is_file():
        return Path(str(copy))
    raise DemoError(
        "cannot find the example contract file: run `slabot demo` from the root of a slabot checkout "
        "(it reads examples/contracts.yaml), or reinstall slabot so its package data is complete"
    )


class DemoError(Exception):
    """The demo cannot run, or one of its expectations failed (the message says which)."""


class _TrackingExecutor(Executor):
    """Bolt runs listeners after the ack on this executor; the demo waits until they are all done."""

    def __init__(self, inner: Executor) -> None:
        self._inner = inner
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._pending += 1

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        return self._inner.submit(run)

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)


@dataclass
class Clicked:
    """A button found in a message, ready to be clicked."""

    action_id: str
    block_id: str
    value: str | None
    text: str


class DemoWorld:
    """Slack (emulated) + slabot (real) + a manual clock. Use as a context manager."""

    def __init__(
        self,
        start: datetime,
        *,
        transcript: Path | None = None,
        contracts: Path | None = None,
        listener_timeout: float = 10.0,
    ) -> None:
        self.clock = ManualClock(start)
        self.transcript_path = transcript
        self.contracts = contracts or example_contracts()
        self.listener_timeout = listener_timeout
        self.conversation = Conversation(names=self._display_name, channel_names=self._channel_name)
        self._tmp: str | None = None
        self._stack: list[Callable[[], None]] = []
        self._seen_calls = 0
        self._jobs: dict[str, Any] = {}

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> DemoWorld:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        self._tmp = tempfile.mkdtemp(prefix="slabot-demo-")
        if self.transcript_path is not None:
            self.transcript_path.parent.mkdir(parents=True, exist_ok=True)
            self.transcript_path.write_text("", encoding="utf-8")
        self.slack = SlackEmulator(clock=self.clock, transcript=self.transcript_path, tokens=[BOT_TOKEN])
        self.slack.start()
        self._stack.append(self.slack.stop)
        seed(self.slack)

        class DemoSettings(Settings):
            """Only what the demo sets: neither the environment nor a ``.env`` file changes the day."""

            @classmethod
            def settings_customise_sources(
                cls, settings_cls: Any, init_settings: Any, **_sources: Any
            ) -> tuple[Any, ...]:
                return (init_settings,)

        settings = DemoSettings(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=self.slack.url,
            DATABASE_URL=f"sqlite:///{Path(self._tmp) / 'demo.db'}",
            SLABOT_CONTRACTS=str(self.contracts),
            SLABOT_SCHEDULER=False,
            SLABOT_SWEEP_SECONDS=10,
            SLABOT_SUMMARY_CHANNEL=REPORTS_CHANNEL,
            SLABOT_SUMMARY_TZ="Europe/Berlin",
            SLABOT_SUMMARY_DAY="mon",
            SLABOT_SUMMARY_TIME="09:00",
        )
        self.runtime = bootstrap(settings, clock=self.clock)
        self._stack.append(self.runtime.engine.dispose)
        self.services = self.runtime.services
        runner = self.runtime.app._listener_runner  # Bolt's: listeners run here after the ack
        self._executor = _TrackingExecutor(runner.listener_executor)
        runner.listener_executor = self._executor
        runner.lazy_listener_runner.executor = self._executor
        self.server = BackgroundServer(self.runtime.web)
        self.server.__enter__()
        self._stack.append(self.server.close)
        self.sweeper, self.notifier = alert_workers(
            settings=settings,
            uow=self.services.uow,
            book=self.services.book,
            tickets=self.services.tickets,
            clock=self.clock,
            clients=notifier_clients(self.runtime),
            worker_id="demo",
            observers=self.runtime.sweep_observers,
        )
        self._jobs = {job.id: job for job in features.jobs_all(self.runtime)}
        # The first sentiment score loads its lexicons (seconds on a busy machine) and the survey
        # modal's listener scores a comment before it acks, within Slack's 3 s: load them up front,
        # as a server that has been running a while has.

        score("warm-up")

    def close(self) -> None:
        executor = getattr(self, "_executor", None)
        if executor is not None:  # let listeners still running finish before Slack goes away
            executor.wait_idle(self.listener_timeout)
        while self._stack:
            step = self._stack.pop()
            try:
                step()
            except Exception:  # closing must go on
                log.debug("demo cleanup step failed", exc_info=True)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # ------------------------------------------------------------------ names

    def _display_name(self, user_id: str) -> str:
        user = self.slack.users.get(user_id)
        if user is None:
            return user_id
        return str(user["profile"].get("display_name") or user["name"])

    def _channel_name(self, channel_id: str) -> str:
        for cid, (name, _members) in CHANNELS.items():
            if cid == channel_id:
                return name
        return channel_id

    def group_handle(self, group_id: str) -> str:
        return GROUPS.get(group_id, (group_id, ()))[0]

    # ------------------------------------------------------------------ people act (as Slack sends it)

    def _post(self, body_and_type: tuple[str, str]) -> tuple[int, str]:
        body, content_type = body_and_type
        status, _headers, text = inbound.post_to_app(self.server.url, body, content_type, SIGNING_SECRET)
        if status != 200:
            raise DemoError(f"slabot answered HTTP {status} to a request from Slack: {text[:200]}")
        return status, text

    def say(self, user: str, channel: str, text: str, *, thread_ts: str | None = None) -> str:
        """A person posts a message (it appears in Slack, then Slack sends the ``message`` event)."""
        message = self.slack.post_user_message(channel, user, text, thread_ts=thread_ts)
        ts = str(message["ts"])
        self.conversation.add(
            Entry(self.clock.now(), channel, message.get("thread_ts"), user, text, "message", ts=ts)
        )
        self._post(inbound.event_callback(inbound.message_event(channel, user, text, ts, thread_ts)))
        self.settle()
        return ts

    def react(self, user: str, channel: str, ts: str, reaction: str) -> None:
        """A person adds a reaction to a message (``reaction_added`` event)."""
        self.conversation.add(Entry(self.clock.now(), channel, ts, user, f":{reaction}:", "reaction", ts=ts))
        self._post(inbound.event_callback(inbound.reaction_added_event(user, reaction, channel, ts)))
        self.settle()

    def command(self, user: str, channel: str, text: str) -> dict[str, Any]:
        """A person types ``/sla <text>``; returns the ephemeral answer slabot acked with."""
        self.conversation.actor = user
        self.conversation.add(Entry(self.clock.now(), channel, None, user, f"/sla {text}", "command"))
        _status, body = self._post(inbound.slash_command(text, user, channel))
        answer: dict[str, Any] = json.loads(body) if body.strip() else {}
        if answer:
            self.conversation.add(
                Entry(
                    self.clock.now(),
                    channel,
                    None,
                    self.slack.bot_user_id,
                    str(answer.get("text") or ""),
                    "ephemeral",
                    blocks=answer.get("blocks") or [],
                    to=user,
                )
            )
        self.settle()
        return answer

    def find_button(self, message: Mapping[str, Any], match: Callable[[Clicked], bool]) -> Clicked:
        for block in message.get("blocks") or []:
            elements = block.get("elements") if block.get("type") == "actions" else None
            candidates = list(elements or [])
            if block.get("accessory"):
                candidates.append(block["accessory"])
            for element in candidates:
                if element.get("type") != "button":
                    continue
                found = Clicked(
                    element.get("action_id", ""),
                    block.get("block_id", ""),
                    element.get("value"),
                    (element.get("text") or {}).get("text", ""),
                )
                if match(found):
                    return found
        raise DemoError(f"no such button in the message {message.get('text', '')[:80]!r}")

    def click(self, user: str, channel: str, message: Mapping[str, Any], button: Clicked) -> None:
        """A person clicks a button of a message (``block_actions``), as Slack sends it."""
        self.conversation.actor = user
        self.conversation.add(
            Entry(
                self.clock.now(),
                channel,
                message.get("thread_ts"),
                user,
                f"[{button.text}]",
                "click",
            )
        )
        self._post(
            inbound.block_actions(
                button.action_id,
                button.value,
                user,
                channel,
                str(message["ts"]),
                block_id=button.block_id,
                text=button.text,
                message=message,
                thread_ts=message.get("thread_ts"),
                # respond() answers through it: an ephemeral where the click was
                response_url=self.slack.response_url(
                    channel=channel,
                    user=user,
                    message_ts=str(message["ts"]),
                    thread_ts=message.get("thread_ts"),
                ),
            )
        )
        self.settle()

    def open_views(self, user: str | None = None) -> list[dict[str, Any]]:
        """Modals opened with views.open (newest last), optionally only those opened for ``user``."""
        found = []
        for call in self.slack.calls_to("views.open"):
            if call.ok:
                found.append(call.response.get("view") or call.args.get("view") or {})
        return found

    def submit(self, user: str, view: Mapping[str, Any], inputs: Mapping[str, str]) -> None:
        """A person fills the modal's text inputs (by action_id) and presses its submit button."""
        values: dict[str, dict[str, dict[str, Any]]] = {}
        for block in view.get("blocks") or []:
            element = block.get("element") or {}
            action_id = element.get("action_id")
            if block.get("type") != "input" or not action_id:
                continue
            kind = element.get("type", "plain_text_input")
            if action_id in inputs:
                values.setdefault(block.get("block_id", ""), {})[action_id] = {
                    "type": kind,
                    "value": inputs[action_id],
                }
        title = (view.get("title") or {}).get("text", "")
        shown = " · ".join(inputs.values())
        self.conversation.add(
            Entry(self.clock.now(), None, None, user, f"submits “{title}”: {shown}", "submit")
        )
        self._post(
            inbound.view_submission(
                str(view.get("callback_id", "")),
                values,
                str(view.get("private_metadata", "")),
                user,
                view_id=view.get("id"),
                title=title or "Slabot",
            )
        )
        self.settle()

    # ------------------------------------------------------------------ time

    def settle(self) -> None:
        """Let every listener finish, run the sweep and the notifier until nothing is due now, and
        collect what slabot said into the conversation."""
        for _ in range(50):
            self._wait_listeners()
            self.sweeper.run_once()
            self.notifier.run_once()
            self._wait_listeners()
            due = self._next_due()
            if due is None or due > self.clock.now():
                break
        self._collect()

    def _wait_listeners(self) -> None:
        if not self._executor.wait_idle(self.listener_timeout):
            raise DemoError(f"a Slack listener did not finish within {self.listener_timeout:g} s")

    def _next_due(self) -> datetime | None:
        with self.services.uow.begin(read_only=True) as tx:
            session = tx.session
            timer = session.scalar(select(func.min(MetricTimerRow.next_alert_at)))
            note = session.scalar(
                select(func.min(Notification.not_before)).where(
                    Notification.state == NotificationState.pending.value
                )
            )
        found = [t for t in (timer, note) if t is not None]
        return min(found) if found else None

    def advance_to(self, instant: datetime) -> None:
        """Move the clock to ``instant``, stopping at every alert or delivery instant on the way
        (as the scheduler would, every few seconds), so warnings go out when they are due."""
        while True:
            due = self._next_due()
            if due is None or due > instant:
                break
            self.clock.set(max(due, self.clock.now()))
            self.settle()
            if self._next_due() == due:  # nothing moved it: avoid spinning
                self.clock.advance(timedelta(seconds=1))
        if instant > self.clock.now():
            self.clock.set(instant)
        self.settle()

    def run_job(self, match: Callable[[str], bool]) -> list[str]:
        """Run the features' scheduled jobs whose id matches (as the scheduler would at this instant)."""
        ran = []
        for job_id, job in sorted(self._jobs.items()):
            if match(job_id):
                job.func()
                ran.append(job_id)
        self.settle()
        return ran

    @property
    def job_ids(self) -> list[str]:
        return sorted(self._jobs)

    # ------------------------------------------------------------------ what Slack saw

    def _collect(self) -> None:
        calls = self.slack.calls
        for call in calls[self._seen_calls :]:
            self.conversation.add_call(call)
        self._seen_calls = len(calls)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        return self.slack.messages(channel)

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        return self.slack.thread(channel, ts)
