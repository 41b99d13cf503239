"""Logs and metrics: JSON log lines, an optional access log, Prometheus metrics.

- Logs: one JSON object per line on stderr (``ts``, ``level``, ``logger``, ``message``, and
  ``request_id`` when the record has one); uvicorn's own loggers go through the same formatter.
- Access log: off by default (uvicorn's is costly: docs/performance.md);
  ACCESS_LOG=1 adds one JSON line per request with method, path, status, duration and request id.
- Metrics: ``RequestObserver`` counts requests and times them by route template, method and
  status; ``CatalogueCollector`` adds the catalogue's revision, entry count, reloads and the
  database's state (served at ``/metrics`` by app.api.metrics); ``RATE_LIMIT_UNLIMITED``
  counts the requests served without the rate limit because its Redis was away. With
  several uvicorn workers each worker has its own counters: scale with replicas, one worker
  each, when the numbers matter.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from bisect import bisect_left
from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from itertools import accumulate
from typing import Any, TextIO

import msgspec
from litestar.types import HTTPScope
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from app.live import LiveCatalogue
from app.requestid import request_id

_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(
            (k, v if isinstance(v, str | int | float | bool) or v is None else str(v))
            for k, v in record.__dict__.items()
            if k not in _STANDARD_ATTRS
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(line).decode()


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record comes (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(level: str) -> None:
    """JSON lines on stderr for every logger: errcat's, uvicorn's, and Alembic's when errcat
    migrates (``app.db.setup.alembic_config`` keeps alembic.ini's own logging config out)."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": JsonFormatter}},
            "handlers": {"stderr": {"()": StderrHandler, "formatter": "json"}},
            "root": {"handlers": ["stderr"], "level": level},
            "loggers": {
                **{
                    name: {"handlers": ["stderr"], "level": level, "propagate": False}
                    for name in ("uvicorn", "uvicorn.error", "errcat")
                },
                # errcat's own access log (with the request id) replaces uvicorn's.
                "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            },
        }
    )


access_log = logging.getLogger("errcat.access")


class RequestStats(Collector):
    """``errcat_requests_total`` and ``errcat_request_duration_seconds`` by method, route and
    status: plain counters on the request path, turned into Prometheus families when scraped.

    prometheus_client's own Counter and Histogram take a lock per increment and walk the
    buckets in Python: about 1 us per request, a measurable share of a replayed answer
    (docs/performance.md). Requests are recorded on the event loop's thread only, and /metrics
    is read there too, so plain integers are enough.
    """

    BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
    LABELS = ("method", "path", "status_code")

    def __init__(self) -> None:
        # (method, route, status) -> [labels, count, sum, one count per bucket and one over all]
        self._series: dict[tuple[str, str, int], list[Any]] = {}

    def observe(self, method: str, path: str, status: int, elapsed: float) -> None:
        if status not in KNOWN_STATUSES:
            status = 0  # one series for every status outside the standard ones: "other"
        key = (method, path, status)
        series = self._series.get(key)
        if series is None:
            labels = [method, path, status_label(status)]
            series = self._series[key] = [labels, 0, 0.0, *([0] * (len(self.BUCKETS) + 1))]
        series[1] += 1
        series[2] += elapsed
        series[3 + bisect_left(self.BUCKETS, elapsed)] += 1  # the first bound >= elapsed

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "errcat_requests", "HTTP requests answered", labels=self.LABELS
        )
        latency = HistogramMetricFamily(
            "errcat_request_duration_seconds",
            "Time to answer an HTTP request, in seconds",
            labels=self.LABELS,
        )
        for labels, count, total, *buckets in self._series.values():
            requests.add_metric(labels, count)
            cumulative = list(accumulate(buckets))
            latency.add_metric(
                labels,
                [(str(b), n) for b, n in zip(self.BUCKETS, cumulative, strict=False)]
                + [("+Inf", cumulative[-1])],
                total,
            )
        yield from (requests, latency)


# Process-wide, in prometheus_client's default registry (one set however many apps a process
# builds, as tests do).
REQUEST_STATS = RequestStats()
REGISTRY.register(REQUEST_STATS)
RATE_LIMIT_UNLIMITED = Counter(
    "errcat_rate_limit_unlimited",
    "Requests served without the rate limit: its store (Redis) failed or was being skipped",
)


# Label values stay bounded whatever clients send: methods outside this set count as "other",
# statuses that are not standard HTTP statuses as "other" (routes are templates or "unmatched");
# 499 is errcat's own record of a client that hung up before its request was read (app.edge).
KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
KNOWN_STATUSES = frozenset(int(s) for s in HTTPStatus) | {499}
# Set by app.api.front on the GET scope it hands on, so a HEAD request is counted as HEAD.
HEAD_MARK = "errcat.head"


def method_label(scope: HTTPScope) -> str:
    if scope.get(HEAD_MARK):
        return "HEAD"
    method = scope["method"]
    return method if method in KNOWN_METHODS else "other"


def status_label(status: int) -> str:
    return str(status) if status in KNOWN_STATUSES else "other"


class RequestObserver:
    """Feed each answered request to the metrics, the access log, or both.

    Called once per request by the layer before routing (``app.api.front``), so that it also
    sees requests no route takes. Written for the hot path: no Request object, and plain
    counters (``RequestStats``) rather than prometheus_client's locked ones. Litestar's
    PrometheusMiddleware did the metrics part for 17% of /codes/{code} throughput
    (scripts/bench.py); this one is priced by the same script.
    """

    def __init__(self, *, metrics: bool, access_log: bool) -> None:
        self.metrics = metrics
        self.access_log = access_log

    def record(self, scope: HTTPScope, status: int, elapsed: float) -> None:
        """Count and log one answered request (``elapsed`` seconds, ``status`` as sent)."""
        if self.metrics:
            self._count(scope, status, elapsed)
        if self.access_log:
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                    "request_id": request_id(scope),
                },
            )

    def _count(self, scope: HTTPScope, status: int, elapsed: float) -> None:
        # Route templates (/codes/{code}), never raw paths: bounded label values. Routing sets
        # the template on the scope; requests that match no route share one label.
        REQUEST_STATS.observe(
            method_label(scope), scope.get("path_template", "unmatched"), status, elapsed
        )


class CatalogueCollector(Collector):
    def __init__(self, live: LiveCatalogue) -> None:
        self.live = live

    def collect(self) -> Iterator[Metric]:
        snap = self.live.loaded
        revision = GaugeMetricFamily("errcat_catalogue_revision", "Catalogue revision being served")
        entries = GaugeMetricFamily("errcat_catalogue_entries", "Entries in the served catalogue")
        revision.add_metric([], snap.version.revision if snap else 0)
        entries.add_metric([], len(snap.entries) if snap else 0)
        reloads = CounterMetricFamily(
            "errcat_catalogue_reloads", "Snapshots loaded by this process (start-up included)"
        )
        reloads.add_metric([], self.live.reloads)
        up = GaugeMetricFamily(
            "errcat_database_up",
            "1 when the database answered its last check (reload loop, /ready, a request), else 0",
        )
        up.add_metric([], 1 if self.live.db_state == "ok" else 0)
        yield from (revision, entries, reloads, up)
