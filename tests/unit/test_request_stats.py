"""RequestStats: the request counter and latency histogram, as Prometheus reads them."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from app.observability import RequestStats


def _scrape(stats: RequestStats) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(stats)
    samples = {}
    for line in generate_latest(registry).decode().splitlines():
        if not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_counts_sums_and_cumulative_buckets_with_inclusive_bounds() -> None:
    stats = RequestStats()
    for elapsed in (0.0001, 0.0005, 0.0007, 0.003, 5.0):  # 0.0005 is a bound: counted under it
        stats.observe("GET", "/codes/{code}", 200, elapsed)
    samples = _scrape(stats)
    labels = 'method="GET",path="/codes/{code}",status_code="200"'
    assert samples[f"errcat_requests_total{{{labels}}}"] == 5
    assert samples[f"errcat_request_duration_seconds_count{{{labels}}}"] == 5
    assert abs(samples[f"errcat_request_duration_seconds_sum{{{labels}}}"] - 5.0043) < 1e-9

    def bucket(le: str) -> float:
        return samples[f'errcat_request_duration_seconds_bucket{{le="{le}",{labels}}}']

    assert bucket("0.0005") == 2
    assert bucket("0.001") == 3
    assert bucket("0.005") == 4
    assert bucket("2.5") == 4
    assert bucket("+Inf") == 5


def test_each_method_route_and_status_is_its_own_series_with_bounded_status_labels() -> None:
    stats = RequestStats()
    stats.observe("GET", "/codes/{code}", 200, 0.001)
    stats.observe("GET", "/codes/{code}", 404, 0.001)
    stats.observe("other", "unmatched", 599, 0.001)
    samples = _scrape(stats)
    assert (
        samples['errcat_requests_total{method="GET",path="/codes/{code}",status_code="200"}'] == 1
    )
    assert (
        samples['errcat_requests_total{method="GET",path="/codes/{code}",status_code="404"}'] == 1
    )
    assert (
        samples['errcat_requests_total{method="other",path="unmatched",status_code="other"}'] == 1
    )


def test_statuses_outside_the_standard_ones_share_one_other_series() -> None:
    stats = RequestStats()
    stats.observe("GET", "/x", 299, 0.001)
    stats.observe("GET", "/x", 599, 0.001)
    samples = _scrape(stats)
    other = 'errcat_requests_total{method="GET",path="/x",status_code="other"}'
    assert samples[other] == 2
    assert sum(1 for name in samples if name.startswith("errcat_requests_total")) == 1
