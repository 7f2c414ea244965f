"""Erasure metrics: objects erased, counted by the worker; and gauges read from the outbox
when /metrics is scraped."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from humangov.ports import ErasureOutbox


class ErasureMetrics:
    """Without a registry the count is kept but exported nowhere (`humangov worker`, tests)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.erased = Counter("humangov_erasures", "Objects erased, by reason and result.",
                              ["reason", "result"], registry=registry)


class ErasureCollector(Collector):
    """Registered on the app's registry by the composition root."""

    def __init__(self, outbox: ErasureOutbox) -> None:
        self.outbox = outbox

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.outbox.counts()
        yield GaugeMetricFamily("humangov_erasure_pending",
                                "Erasure intents waiting to be processed.",
                                value=counts["pending"])
        yield GaugeMetricFamily("humangov_erasure_dead_letters",
                                "Erasure intents that failed every attempt.",
                                value=counts["dead"])
        yield GaugeMetricFamily("humangov_erasure_held",
                                "Erasure intents waiting for a legal hold's release.",
                                value=counts.get("held", 0))
