"""gunicorn's settings for slabot: ``gunicorn --config python:bot.gunicorn_conf --preload bot.wsgi:application``.

The bind address, workers and threads stay on the command line (the ``Procfile``, ``app.yaml`` and
``Dockerfile`` set them for their platform; gunicorn reads ``WEB_CONCURRENCY`` itself). What is here is
what every slabot web process needs:

* the app is built in the master before the listening socket opens (``on_starting`` runs before gunicorn
  binds), so the platform routes the first request to a process that is ready for it — no build on the
  first request, which took 3–4 s, past Slack's 3 s; a bad setting stops the start with one line per
  problem and exit status 2;
* each worker, after the fork, opens its own database connections and runs the scheduler when
  ``SLABOT_SCHEDULER`` is on (``post_fork``);
* on shutdown each worker lets the jobs in flight finish (``worker_exit``).
"""

from __future__ import annotations

from typing import Any

from bot import wsgi

preload_app = True
#: the web timeout Slack's retries make sense with; requests are answered within 3 s
timeout = 30
#: SIGTERM: requests in flight get this long, then worker_exit lets the jobs finish
graceful_timeout = 20
#: gunicorn >= 24's control socket sits at one fixed path per user: two slabot servers on one host (or
#: a test beside a running one) would share it. slabot needs none (older gunicorns ignore the name).
control_socket_disable = True


def on_starting(server: Any) -> None:
    wsgi.build_or_exit()


def post_fork(server: Any, worker: Any) -> None:
    wsgi.after_fork()


def worker_exit(server: Any, worker: Any) -> None:
    wsgi.stop()
