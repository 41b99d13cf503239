# errcat's container image.
#
#   docker build -t errcat .
#   docker run --rm -p 8000:8000 -v errcat-data:/data errcat           # SQLite in /data
#   docker run --rm -p 8000:8000 -e DATABASE_URL=postgresql://user:pw@db:5432/errcat errcat
#   docker run --rm errcat migrate                                     # any `errcat` subcommand
#
# Two stages on the same base: `build` installs the project's dependencies exactly as uv.lock
# pins them (hashes checked) into the virtualenv /opt/venv, with uv (the version in
# requirements-uv.txt) from a throwaway virtualenv; the runtime stage copies that virtualenv (same
# base, same paths: no pip, no uv, no cache in it) and the source tree. The project itself is not
# installed: errcat finds alembic.ini, migrations/ and seeds/ next to the `app` package
# (app/db/setup.py's ROOT), so the package stays at /app/app (on PYTHONPATH) and ROOT is /app.
# Configuration is environment only (see README.md); the defaults below suit a container.
# The base image is a build argument (CI builds FROM a local Python 3.11 image, no registry).
ARG BASE=python:3.11-slim

FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1 UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_SYSTEM_CERTS=1
WORKDIR /src
# pip runs in a throwaway virtualenv: a distribution's Python refuses system installs (PEP 668).
COPY requirements-uv.txt ./
RUN python3 -m venv /opt/build-venv \
    && /opt/build-venv/bin/pip install --no-cache-dir -r requirements-uv.txt
# Only the metadata and the lock: this layer stays cached until one of them changes.
# app/__init__.py holds the version pyproject.toml reads (nothing else of the source is needed).
COPY pyproject.toml uv.lock README.md ./
COPY app/__init__.py app/__init__.py
# --locked: the build fails if uv.lock does not match pyproject.toml; no extras (no test tools).
RUN /opt/build-venv/bin/uv sync --locked --no-install-project --python python3

FROM ${BASE} AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    PATH=/opt/venv/bin:$PATH \
    DATABASE_URL=sqlite:////data/errcat.db \
    HOST=0.0.0.0 \
    PORT=8000 \
    WEB_CONCURRENCY=1
RUN useradd --user-group --uid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin errcat \
    && mkdir /data \
    && chown errcat:errcat /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY seeds ./seeds
COPY app ./app
COPY --chmod=755 docker/entrypoint.sh /usr/local/bin/errcat-entrypoint
# Byte-compiled once here (root owns /app; the service user cannot write there). The entrypoint
# doubles as the `errcat` command (it runs the CLI with a SIGTERM handler; see the script).
RUN python -m compileall -q /app/app /app/migrations \
    && ln -s errcat-entrypoint /usr/local/bin/errcat
# Numeric, so that runtimes can tell it is not root without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
# Readiness, GET http://127.0.0.1:${PORT:-8000}/ready with Python's urllib (the image has no
# curl): an HTTP error (503 until the catalogue is loaded and the database answers) or no answer
# fails. Exec form; Python reads PORT itself, empty or unset meaning 8000.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/ready' % (os.environ.get('PORT') or '8000'), timeout=4)"]
ENTRYPOINT ["errcat-entrypoint"]
CMD ["serve"]
