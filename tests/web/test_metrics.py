"""Each app serves its own metrics registry: two apps in one process keep their series apart."""

from fastapi.testclient import TestClient

from humangov.bootstrap import server
from humangov.config import Settings


def test_two_apps_in_one_process_each_serve_their_own_metrics(tmp_path):
    # GIVEN two servers in one process, on two data directories
    apps = []
    for name in ("a", "b"):
        app, container = server(Settings(environment="test", data_dir=tmp_path / name,
                                         monitoring=False), announce=lambda _: None)
        apps.append((app, container))
    try:
        # WHEN each is scraped
        texts = [TestClient(app).get("/metrics").text for app, _ in apps]
        # THEN both answer with the erasure gauges and the process series: neither registry
        # refused the other's metric names, as one global registry would have
        for text in texts:
            assert "humangov_erasure_pending 0.0" in text
            assert "python_gc_objects_collected_total" in text
    finally:
        for _, container in apps:
            container.close()
