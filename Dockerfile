# errcat's container image.
#
#   docker build -t errcat .
#   docker run --rm -p 8000:8000 -v errcat-data:/data errcat           # SQLite in /data
#   docker run --rm -p 8000:8000 -e DATABASE_URL=postgresql://user:pw@db:5432/errcat errcat
#   docker run --rm errcat migrate                                     # any `errcat` subcommand
#
# Two stages on the same base: `build` turns the project's dependencies into wheels with pip,
# installs only those wheels (no index) into the virtualenv /opt/venv and takes pip and
# setuptools out of it; the runtime stage copies that virtualenv (same base, same paths) and the
# source tree, and has no compiler, no pip cache, no wheels. The project itself is not
# installed: errcat finds alembic.ini, migrations/ and seeds/ next to the `app` package
# (app/cli.py's ROOT), so the package stays at /app/app (on PYTHONPATH) and ROOT is /app.
# Configuration is environment only (see README.md); the defaults below suit a container.
# The base image is a build argument (CI builds FROM a local Python 3.11 image, no registry).
ARG BASE=python:3.11-slim

FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# pip runs in a throwaway virtualenv: a distribution's Python refuses system installs (PEP 668).
RUN python3 -m venv /opt/build-venv
WORKDIR /src
# Only the metadata: the dependency wheels stay cached until pyproject.toml changes. The
# project's own (empty) wheel is dropped; its source is copied into the runtime stage instead.
COPY pyproject.toml README.md ./
# app/__init__.py holds the version pyproject.toml reads (nothing else of the source is needed).
COPY app/__init__.py app/__init__.py
RUN /opt/build-venv/bin/pip wheel --no-cache-dir --wheel-dir /wheels . \
    && rm /wheels/errcat-*.whl
# The runtime's virtualenv, from those wheels alone. (It is built here and copied, rather than
# installed in the runtime stage from a `RUN --mount=type=bind,from=build`: podman 4.3, which CI
# uses, cannot mount a cached stage there, and a COPY of the wheels would stay in a layer.)
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --no-index /wheels/*.whl \
    && /opt/venv/bin/pip uninstall --yes --quiet pip setuptools

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
