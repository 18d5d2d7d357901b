# slabot's container image: small (slim base, a virtualenv copied from a build stage, no compiler, no
# pip cache), non-root, with a HEALTHCHECK on /livez (no I/O). Build and run:
#   docker build -t slabot .
#   docker run --env-file .env -e SLABOT_CONTRACTS=/config/contracts.yaml \
#     -v "$PWD/contracts.yaml:/config/contracts.yaml:ro" -p 3000:3000 slabot
# compose.yaml runs the whole set (web, worker, PostgreSQL, migrations before start).
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/slabot
WORKDIR /src
# The pinned dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN /opt/slabot/bin/pip install -r requirements.txt
COPY pyproject.toml README.md LICENSE CHANGELOG.md MANIFEST.in ./
COPY bot ./bot
COPY handlers ./handlers
COPY sla ./sla
COPY storage ./storage
COPY examples ./examples
COPY docs ./docs
RUN /opt/slabot/bin/pip install --no-deps . && /opt/slabot/bin/slabot --version

FROM python:${PYTHON_VERSION}-slim
ENV PATH=/opt/slabot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=3000 \
    SLABOT_LOG_FORMAT=json
RUN useradd --system --uid 10001 --user-group --home-dir /srv/slabot --create-home slabot
COPY --from=build /opt/slabot /opt/slabot
WORKDIR /srv/slabot
USER 10001:10001
EXPOSE 3000
# /livez answers 200 without touching the database or Slack: a database blip must not restart the
# container (readiness, /readyz, is for the load balancer).
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('PORT', '3000'), timeout=2)"]
# The web process. gunicorn --preload builds the app before the port opens (bot.gunicorn_conf), so the
# first request after a start is answered at once. `slabot worker` runs the alert jobs (compose.yaml).
CMD ["gunicorn", "--config", "python:bot.gunicorn_conf", "--preload", "bot.wsgi:application"]
