"""Ack means stored: every verified Slack request is written to a durable inbox before Slack's 200.

:class:`Inbox` sits between :class:`bot.slack_endpoint.SlackEndpoint` and Bolt:

- ``accept`` stores the request (``storage.repositories.inbox``: insert-or-get on its key — the
  event id of an Events API delivery, the signature of anything else) and only then lets Bolt
  handle it and answer. When the database cannot take the row (locked, restarting, disk full) the
  answer is **503** and nothing runs, so Slack retries the delivery later.
- A key stored before is a redelivery (Slack retries a late ack with the same event id) or a
  replayed signed request (the same signature): it is answered 200 and not processed again —
  unless its first processing failed and its lease ran out, then this delivery processes it.
- Bolt runs each listener after the ack on its pool (``SLABOT_LISTENER_THREADS`` threads,
  :class:`TrackingExecutor`); when the listener returns the row is marked done; when it raised
  (``@app.error``: :func:`listener_failed`) on a storage error the row stays pending with the error, and
  :meth:`Inbox.redeliver` (the ``slack-inbox`` job, and at start-up) processes it again, so what
  was acknowledged is never lost. Intake is idempotent per source message, so a second run of a
  message that half-succeeded changes nothing. Only Events API deliveries are processed again
  (:data:`REDELIVERED_KINDS`); a command or a button press is stored as its key only.
- Requests arriving together share one write transaction (:class:`GroupCommit`): each is answered
  once its own row is committed, with one commit for the rows queued behind a write.
- A request Slack waits on (:data:`ANSWERING_KINDS`) is answered the moment its listener acks:
  :func:`answer_on_ack` gives the listener an :class:`AnsweredAck`, and the request's thread waits
  on it instead of Bolt's poll (a 10 ms sleep loop: ten wake-ups per answer per waiting thread,
  and 10 ms added to every answer).
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from bot.clock import Clock
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

#: how long a claimed row is left to its processing before another delivery or the job may take it
LEASE = timedelta(seconds=30)
#: processed rows are kept this long, so Slack's redeliveries (up to ~30 min later) and replays are recognised
KEEP = timedelta(hours=2)
MAX_ATTEMPTS = 5
#: a row whose processing failed on storage is due again this long after (the database needs a moment)
RETRY_AFTER = timedelta(seconds=5)
#: what the inbox processes again when its first processing failed on storage: Events API deliveries
#: (Slack's own redelivery semantics). A command or a button press is answered while the user waits
#: (its listener commits before it answers): it is stored only as its key (a replay is answered once),
#: never run again behind the user's back (a second `/sla start` would open a second ticket).
REDELIVERED_KINDS = frozenset({"event_callback"})
#: headers Bolt reads from a stored request (the signature was checked when it arrived)
KEPT_HEADERS = ("content-type", "x-slack-retry-num", "x-slack-retry-reason")

Answer = tuple[int, dict[str, str], bytes]

CURRENT: contextvars.ContextVar[Delivery | None] = contextvars.ContextVar("slabot_delivery", default=None)


@dataclass(frozen=True)
class SlackRequest:
    """A verified, normalised Slack request: what Bolt is given (and what the inbox stores)."""

    body: str
    headers: dict[str, str]
    query: str
    #: the inbox key: ``event:<event_id>`` for Events API deliveries, else ``sig:<signature>``
    key: str
    kind: str
    team_id: str | None


class StorageUnavailable(Exception):
    """The inbox could not store a request: the caller answers 503 so that Slack retries."""


@dataclass
class Delivery:
    """One processing of one inbox row: done when Bolt's dispatch and every listener it started ended."""

    inbox: Inbox
    #: None for a request that is not processed again (commands, interactivity): nothing to settle
    item_id: int | None
    kind: str = "request"
    running: int = 1  # the dispatch itself
    error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: set when the listener acked (:class:`AnsweredAck`) or ended: the request's answer is ready
    answered: threading.Event = field(default_factory=threading.Event)

    def started(self) -> None:
        with self._lock:
            self.running += 1

    def failed(self, error: BaseException | str) -> None:
        """Processing failed. Only a storage error (the database went away after the ack) leaves the row
        pending, to be processed again; any other error (a bug, Slack refusing a call) would only repeat."""
        if isinstance(error, BaseException) and not isinstance(error, SQLAlchemyError):
            log.warning(
                "inbox row %s: listener failed (%s), not processed again", self.item_id, type(error).__name__
            )
            return
        self.error = (str(error) or type(error).__name__)[:500] if not isinstance(error, str) else error[:500]

    def finished(self) -> None:
        with self._lock:
            self.running -= 1
            last = self.running == 0
        if last and self.item_id is not None:
            self.inbox.settle(self.item_id, self.error)


def listener_failed(error: BaseException) -> None:
    """Called from ``@app.error``: the delivery being processed stays pending (processed again later)."""
    delivery = CURRENT.get()
    if delivery is not None:
        delivery.failed(error)


#: requests whose HTTP answer Slack shows (a command's reply, a modal's validation, a menu's options,
#: a shortcut's modal within 3 s): their listeners never queue behind button or event work
ANSWERING_KINDS = frozenset({"command", "view_submission", "block_suggestion", "shortcut", "message_action"})


#: longest a request's thread waits for its listener's ack: Bolt's own ``ack_timeout`` (it gives up then)
ACK_WAIT_SECONDS = 3.0


class AnsweredAck(Ack):
    """Bolt's ``ack`` that also tells the waiting request thread its answer is ready: when its
    ``response`` is set, by a call or by assignment (``handlers.commands`` sets a rendered body)."""

    def __init__(self, answered: threading.Event) -> None:
        self._answered = answered
        super().__init__()

    @property  # type: ignore[override]
    def response(self) -> BoltResponse | None:
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        self._response = value
        if value is not None:
            self._answered.set()


def answer_on_ack(context: BoltContext, next: Callable[[], None]) -> None:  # Bolt passes `next` by name
    """A global Bolt middleware: the listener of a request Slack waits on acks through an
    :class:`AnsweredAck`, so the request's thread answers as soon as it acks (see the module's notes)."""
    delivery = CURRENT.get()
    if delivery is not None and delivery.kind in ANSWERING_KINDS:
        context["ack"] = AnsweredAck(delivery.answered)
    next()


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool: bounded (``SLABOT_LISTENER_THREADS``), and each job knows the inbox row
    it works for. Requests Slack waits on for an answer (:data:`ANSWERING_KINDS`) run on a second
    pool of the same size, so slow after-ack work (a button's answer while Slack is slow) cannot
    make ``/sla status`` miss Slack's 3-second deadline."""

    def __init__(self, max_workers: int, thread_name_prefix: str = "slabot-listener") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._answers = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix=thread_name_prefix + "-answer"
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        delivery = CURRENT.get()
        context = contextvars.copy_context()
        if delivery is not None:
            delivery.started()

        def run() -> Any:
            try:
                return context.run(fn, *args, **kwargs)
            except BaseException as exc:
                if delivery is not None:
                    delivery.failed(exc)
                raise
            finally:
                if delivery is not None:
                    delivery.finished()

        if delivery is not None and delivery.kind in ANSWERING_KINDS:
            future = self._answers.submit(run)
            # Bolt polls for the ack after this returns; once it is in, the poll ends at its first look
            future.add_done_callback(lambda _done: delivery.answered.set())
            delivery.answered.wait(ACK_WAIT_SECONDS)
            return future
        return super().submit(run)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._answers.shutdown(wait=wait, cancel_futures=cancel_futures)
        super().shutdown(wait=wait, cancel_futures=cancel_futures)


@dataclass
class _Received:
    """One request's row waiting for the shared transaction that stores it."""

    row: dict[str, Any]
    done: bool = False
    result: tuple[int, bool] | None = None
    error: BaseException | None = None


class GroupCommit:
    """Inbox rows of concurrent requests stored together: one transaction, one commit for all of them.

    Each Slack request waits until its own row is committed (ack means stored), but the requests that
    arrive while a transaction is being written are not written one by one behind it: the next writer
    takes every row queued meanwhile and stores them in one transaction (group commit). One writer at a
    time in the process, woken as soon as the previous one committed — instead of each request queueing
    for SQLite's write lock in its busy handler (sleeps of up to 100 ms: at 16 concurrent
    ``/sla status``, a p99 of a second) or paying a commit of its own on PostgreSQL. When a shared
    transaction fails, its rows are stored one by one, so one row the database refuses fails its own
    request only. ``limit``: at most this many rows per transaction (1: a transaction per request)."""

    def __init__(self, uow: UnitOfWork, *, limit: int = 200) -> None:
        self.uow = uow
        self.limit = limit
        self._cond = threading.Condition()
        self._queue: list[_Received] = []
        self._writing = False

    def receive(self, **row: Any) -> tuple[int, bool]:
        """``InboxRepository.receive(**row)``, committed before this returns (its errors raised here)."""
        mine = _Received(row)
        with self._cond:
            self._queue.append(mine)
        while True:
            with self._cond:
                while not mine.done and self._writing:
                    self._cond.wait()
                if mine.done:
                    break
                self._writing = True  # this request writes the oldest queued rows (its own among them, soon)
                batch, self._queue = self._queue[: self.limit], self._queue[self.limit :]
            try:
                self._store(batch)
            except BaseException as exc:  # not the database's refusal (a bug, an interrupt): every row fails
                for item in batch:
                    if item.result is None and item.error is None:
                        item.error = exc
                raise
            finally:
                with self._cond:
                    for item in batch:
                        item.done = True
                    self._writing = False
                    self._cond.notify_all()
        if mine.error is not None:
            raise mine.error
        if mine.result is None:  # pragma: no cover - a stored batch has a result for every row
            raise AssertionError("inbox row neither stored nor failed")
        return mine.result

    def _store(self, batch: list[_Received]) -> None:
        try:
            with self.uow.begin() as tx:
                results = [tx.inbox.receive(**item.row) for item in batch]
        except (IntegrityError, DataError) as exc:  # a row the database refuses fails only its request
            if len(batch) == 1:
                batch[0].error = exc
                return
            for item in batch:
                self._store([item])
            return
        except SQLAlchemyError as exc:  # the database is unavailable (locked, restarting, full): all fail
            for item in batch:
                item.error = exc
            return
        for item, result in zip(batch, results, strict=True):
            item.result = result


class Inbox:
    def __init__(self, uow: UnitOfWork, clock: Clock, *, group_commit: bool = True) -> None:
        self.uow = uow
        self.clock = clock
        #: ``group_commit=False``: a transaction of its own for every request (the benchmark's baseline)
        self._receiver = GroupCommit(uow) if group_commit else GroupCommit(uow, limit=1)
        self._dispatch: Callable[[SlackRequest], Answer] | None = None

    # ---- the request path ---------------------------------------------------------------

    def bind(self, dispatch: Callable[[SlackRequest], Answer]) -> None:
        """How stored requests are processed again (``SlackEndpoint.dispatch``: into Bolt)."""
        self._dispatch = dispatch

    def accept(self, request: SlackRequest, dispatch: Callable[[SlackRequest], Answer]) -> Answer:
        """Store ``request``, then ``dispatch`` it (unless it was stored and handled before)."""
        now = self.clock.now()
        headers = {k: v for k, v in request.headers.items() if k in KEPT_HEADERS}
        redeliverable = request.kind in REDELIVERED_KINDS
        try:
            # a redelivery of an event (Slack retries a late ack) needs no write; a command or a press is
            # new but for a replay, which the write below recognises as well
            if redeliverable:
                with self.uow.begin(read_only=True) as tx:
                    if tx.inbox.settled_or_leased(key=request.key, now=now, max_attempts=MAX_ATTEMPTS):
                        log.info(
                            "slack redelivery or replay: already stored", extra={"key": request.key[:40]}
                        )
                        return 200, {}, b""
            item_id, process = self._receiver.receive(
                key=request.key,
                team_id=request.team_id,
                kind=request.kind,
                body=request.body if redeliverable else "",
                headers=headers,
                now=now,
                lease_until=now + LEASE,
                max_attempts=MAX_ATTEMPTS,
                state="pending" if redeliverable else "done",
            )
        except SQLAlchemyError as exc:
            log.warning(
                "inbox unavailable: answering 503 so that Slack retries",
                extra={"key": request.key[:40], "error": type(exc).__name__},
            )
            raise StorageUnavailable(str(exc)) from None
        if not process:
            log.info("slack redelivery or replay: already stored", extra={"key": request.key[:40]})
            return 200, {}, b""
        return self._run(item_id if redeliverable else None, request, dispatch)

    def _run(
        self, item_id: int | None, request: SlackRequest, dispatch: Callable[[SlackRequest], Answer]
    ) -> Answer:
        delivery = Delivery(self, item_id, request.kind)
        token = CURRENT.set(delivery)
        try:
            answer = dispatch(request)
        except BaseException as exc:
            delivery.failed(exc)
            raise
        finally:
            CURRENT.reset(token)
            delivery.finished()
        return answer

    def settle(self, item_id: int, error: str | None) -> None:
        """Mark a row done, or leave it pending with its error (the job processes it again)."""
        now = self.clock.now()
        try:
            with self.uow.begin() as tx:
                if error is None:
                    tx.inbox.done(item_id=item_id, now=now)
                else:
                    tx.inbox.retry_later(item_id=item_id, error=error, now=now, after=RETRY_AFTER)
        except SQLAlchemyError:
            # the row stays claimed: when its lease runs out the job (or Slack's retry) processes it again
            log.warning("inbox row %s not settled (storage unavailable)", item_id)

    # ---- the job ------------------------------------------------------------------------

    def redeliver(self, dispatch: Callable[[SlackRequest], Answer] | None = None, *, limit: int = 100) -> int:
        """Process again the rows whose processing failed or was cut short (a crash); the count started."""
        dispatch = dispatch or self._dispatch
        if dispatch is None:
            return 0
        now = self.clock.now()
        with self.uow.begin() as tx:
            due = tx.inbox.claim_due(now=now, lease_until=now + LEASE, limit=limit, max_attempts=MAX_ATTEMPTS)
        for row in due:
            request = SlackRequest(row.body, dict(row.headers or {}), "", row.key, row.kind, row.team_id)
            try:
                self._run(row.id, request, dispatch)
            except Exception:
                log.exception("inbox row %s failed again", row.id)
        return len(due)

    def prune(self) -> int:
        """Forget processed rows older than :data:`KEEP`; rows that failed :data:`MAX_ATTEMPTS` times
        are marked failed (logged) first."""
        now = self.clock.now()
        with self.uow.begin() as tx:
            gave_up = tx.inbox.give_up(max_attempts=MAX_ATTEMPTS, now=now)
            pruned = tx.inbox.prune(before=now - KEEP)
        if gave_up:
            log.error("inbox: %s Slack request(s) failed %s times and were given up", gave_up, MAX_ATTEMPTS)
        return pruned

    def run_job(self) -> dict[str, int]:
        """The ``slack-inbox`` job: process again what failed or was cut short, forget what is old."""
        return {"redelivered": self.redeliver(), "pruned": self.prune()}
