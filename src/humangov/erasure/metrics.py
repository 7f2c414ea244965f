"""Erasure gauges, read from the outbox when /metrics is scraped."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class ErasureCollector(Collector):
    """Register once: `prometheus_client.REGISTRY.register(ErasureCollector(container.outbox))`."""

    def __init__(self, outbox) -> None:
        self.outbox = outbox

    def collect(self):
        counts = self.outbox.counts() if hasattr(self.outbox, "counts") else {
            "pending": self.outbox.pending_count(), "dead": len(self.outbox.dead_letters())}
        yield GaugeMetricFamily("humangov_erasure_pending", "Erasure intents waiting to be processed.",
                                value=counts["pending"])
        yield GaugeMetricFamily("humangov_erasure_dead_letters", "Erasure intents that failed every attempt.",
                                value=counts["dead"])
