"""deploy/ stays in step with the code. Prometheus scrapes every web worker of compose.yaml at the route the
API serves its metrics on (without a key); the Grafana dashboard queries only series and labels that
hyanggi/metrics.py exposes, through the provisioned datasource, from the folder compose mounts; the app services'
settings are real ``HYANGGI_`` settings. Prometheus and Grafana cannot be installed here: their configs are
checked, not run (tests/integration/test_compose_native.py runs the app services)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml
from prometheus_client.metrics import MetricWrapperBase

from hyanggi import metrics
from hyanggi.settings import Settings
from ui.api import create_api
from ui.api.app import API_PREFIX

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TARGET_LABELS = {"instance", "job"}  # Prometheus adds these to every scraped series
SUFFIXES = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}


def _yaml(relative: str) -> dict:
    return yaml.safe_load((DEPLOY / relative).read_text(encoding="utf-8"))


def _services() -> dict[str, dict]:
    return _yaml("compose.yaml")["services"]


def _mounts(service: dict) -> dict[str, str]:
    """Host path (relative to deploy/) → container path, for the bind mounts of a service."""
    return dict(tuple(v.split(":")[:2]) for v in service.get("volumes", []) if v.startswith("./"))


def _exposed() -> dict[str, tuple[str, set[str]]]:
    """Every series name hyanggi/metrics.py exposes → (its family, the family's label names)."""
    series: dict[str, tuple[str, set[str]]] = {}
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            [family] = metric.describe()
            labels = set(metric._labelnames)  # noqa: SLF001 - prometheus_client keeps them only here
            for suffix in SUFFIXES[family.type]:
                series[family.name + suffix] = (family.name, labels | ({"le"} if suffix == "_bucket" else set()))
    return series


def _panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads((DEPLOY / "grafana/dashboards/hyanggi.json").read_text(encoding="utf-8"))
    return [(target["expr"], target["legendFormat"]) for panel in dashboard["panels"] for target in panel["targets"]]


async def test_prometheus_scrapes_every_web_worker_at_the_metrics_route() -> None:
    services = _services()
    web = {name: s["command"] for name, s in services.items() if s.get("command", [])[:2] == ["hyanggi", "chat"]}
    assert len(web) >= 2
    [job] = _yaml("prometheus/prometheus.yml")["scrape_configs"]
    [static] = job["static_configs"]
    assert set(static["targets"]) == {f"{name}:{command[command.index('--port') + 1]}" for name, command in web.items()}
    assert job["metrics_path"] == f"{API_PREFIX}/metrics"
    assert _mounts(services["prometheus"]) == {"./prometheus/prometheus.yml": "/etc/prometheus/prometheus.yml"}

    # The scrape carries no key, and workers in the stack require one for everything else.
    keyed = Settings(api_keys=[hashlib.sha256(b"client").hexdigest()])
    transport = httpx.ASGITransport(app=create_api(keyed, lambda: None))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        scrape = await client.get(job["metrics_path"].removeprefix(API_PREFIX))
        assert (await client.get("/sessions")).status_code == 401
    assert scrape.status_code == 200 and "hyanggi_turn_seconds" in scrape.text


def test_dashboard_queries_only_exposed_series_and_labels() -> None:
    exposed = _exposed()
    queried: set[str] = set()
    for expr, legend in _panel_queries():
        names = re.findall(r"\bhyanggi_\w+", expr)
        assert names and set(names) <= exposed.keys(), expr
        grouping = {label.strip() for found in re.findall(r"by \(([^)]*)\)", expr) for label in found.split(",")}
        for name in names:
            assert grouping - {""} <= exposed[name][1] | TARGET_LABELS, (expr, grouping)
        assert set(re.findall(r"\{\{(\w+)\}\}", legend)) <= grouping, (expr, legend)
        queried |= {exposed[name][0] for name in names}
    # What the deployment promises an operator sees (docs/DEPLOYMENT.md, "Docker / compose").
    assert {"hyanggi_turn_seconds", "hyanggi_first_text_seconds", "hyanggi_generation_tokens_per_second",
            "hyanggi_errors", "hyanggi_active_sessions", "hyanggi_jobs"} <= queried
    assert any("by (le, route)" in expr and "hyanggi_turn_seconds_bucket" in expr for expr, _ in _panel_queries())


def test_grafana_reads_the_provisioned_datasource_and_dashboard_folder() -> None:
    services = _services()
    [source] = _yaml("grafana/provisioning/datasources/prometheus.yml")["datasources"]
    url = urlsplit(source["url"])
    assert source["type"] == "prometheus" and url.hostname in services
    assert f"{url.port}:{url.port}" in services[url.hostname]["ports"]
    dashboard = json.loads((DEPLOY / "grafana/dashboards/hyanggi.json").read_text(encoding="utf-8"))
    uids = {ref["uid"] for panel in dashboard["panels"] for ref in [panel["datasource"]] +
            [t["datasource"] for t in panel["targets"]]}
    assert uids == {source["uid"]}
    [provider] = _yaml("grafana/provisioning/dashboards/hyanggi.yml")["providers"]
    mounts = _mounts(services["grafana"])
    assert mounts["./grafana/dashboards"].removesuffix(":ro") == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"


def test_app_services_share_one_environment_of_real_settings() -> None:
    services = _services()
    app = {name: s for name, s in services.items() if s.get("image") == "hyanggi:latest"}
    assert {"chroma", "setup", "models", "web1", "web2", "worker"} <= app.keys()
    environments = [s["environment"] for s in app.values()]
    assert all(env == environments[0] for env in environments)
    fields = {f"HYANGGI_{name.upper()}" for name in Settings.model_fields}
    assert set(environments[0]) <= fields, set(environments[0]) - fields
    assert {"HYANGGI_DATABASE_URL", "HYANGGI_CHROMA_URL", "HYANGGI_REDIS_URL", "HYANGGI_BROKER_URL",
            "HYANGGI_GENERATOR_URL", "HYANGGI_ADMIN_KEY", "HYANGGI_API_KEYS"} <= set(environments[0])
