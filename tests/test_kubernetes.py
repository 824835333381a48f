"""deploy/kubernetes/changebot.yaml checked against the product (no cluster runs here), as
test_deployment.py checks the compose file: real commands and options, real settings, probes on
routes the app serves and ports it binds, one scheduler, and no disk shared between pods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fastapi.routing import APIRoute

from bot.config import Settings
from bot.web.routes.health import router as health
from tests.test_deployment import _command

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [
    d for d in yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / "changebot.yaml").read_text("utf-8")) if d
]
SETTINGS = {f"CHANGEBOT_{name.upper()}" for name in Settings.model_fields}


def _of(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in DOCUMENTS if d["kind"] == kind}


def _pod(workload: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = workload["spec"]["template"]["spec"]
    return pod


def _workloads() -> dict[str, dict[str, Any]]:
    return {**_of("Deployment"), **_of("StatefulSet"), **_of("Job")}


def test_every_changebot_command_and_option_exists() -> None:
    checked = 0
    for name, workload in _workloads().items():
        for container in _pod(workload)["containers"]:
            args = container["command"]
            if args[0] != "changebot":
                assert args[:2] == ["chroma", "run"], name  # the Chroma server the package ships
                continue
            command, rest = _command(args)
            known = {opt for param in command.params for opt in getattr(param, "opts", [])}
            assert all(arg in known for arg in rest if arg.startswith("--")), (name, rest)
            checked += 1
    assert checked == 4  # web, worker, scheduler, ingest


def test_every_variable_is_a_setting_and_secrets_stay_out_of_the_file() -> None:
    config = _of("ConfigMap")["changebot-config"]["data"]
    assert set(config) <= SETTINGS
    assert not {"CHANGEBOT_DATABASE_URL", "CHANGEBOT_TELEGRAM_TOKEN", "CHANGEBOT_SURVEY_KEY"} & set(config)
    assert not _of("Secret")  # made with kubectl, as the header says
    for name, workload in _workloads().items():
        if name == "chroma":
            continue
        sources = _pod(workload)["containers"][0]["envFrom"]
        assert {"configMapRef": {"name": "changebot-config"}} in sources, name
        assert {"secretRef": {"name": "changebot-secrets"}} in sources, name
    # The web pods reach Chroma through its Service, on the port the server binds.
    chroma_args = _pod(_of("StatefulSet")["chroma"])["containers"][0]["command"]
    port = int(chroma_args[chroma_args.index("--port") + 1])
    assert config["CHANGEBOT_CHROMA_URL"] == f"http://chroma:{port}"
    assert _of("Service")["chroma"]["spec"]["ports"][0]["port"] == port


def test_probes_ask_the_routes_the_app_serves_on_the_port_it_binds() -> None:
    served = {route.path for route in health.routes if isinstance(route, APIRoute)}
    web = _of("Deployment")["changebot-web"]
    container = _pod(web)["containers"][0]
    bound = int(container["command"][container["command"].index("--port") + 1])
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": bound}
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        assert container[probe]["httpGet"] == {"path": path, "port": "http"} and path in served
    service = _of("Service")["changebot-web"]
    assert service["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_one_scheduler_web_without_jobs_and_every_selector_matches_its_pods() -> None:
    deployments = _of("Deployment")
    scheduler = deployments["changebot-scheduler"]
    assert scheduler["spec"]["replicas"] == 1 and scheduler["spec"]["strategy"]["type"] == "Recreate"
    web_args = _pod(deployments["changebot-web"])["containers"][0]["command"]
    assert "--no-scheduler" in web_args and "--no-jobs" in web_args  # re-index jobs run in workers
    assert "--no-scheduler" in _pod(deployments["changebot-worker"])["containers"][0]["command"]
    assert deployments["changebot-web"]["spec"]["replicas"] >= 2
    assert deployments["changebot-worker"]["spec"]["replicas"] >= 2
    for name, workload in {**deployments, **_of("StatefulSet")}.items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items(), name


def test_no_disk_is_shared_between_pods() -> None:
    # changebot pods keep only caches (emptyDir); Chroma has a disk of its own; nothing is ReadWriteMany.
    assert not _of("PersistentVolumeClaim")
    for name, workload in _workloads().items():
        pod = _pod(workload)
        if name == "chroma":
            claims = workload["spec"]["volumeClaimTemplates"]
            assert [c["spec"]["accessModes"] for c in claims] == [["ReadWriteOnce"]]
            continue
        assert all("emptyDir" in volume for volume in pod["volumes"]), name
        mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
        assert mounts == {"/app/data"}, name
    data_dir = _of("ConfigMap")["changebot-config"]["data"]["CHANGEBOT_DATA_DIR"]
    assert data_dir == "/app/data"
