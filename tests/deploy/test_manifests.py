"""The deployment files, checked offline the way CI can without a container engine: the compose
file against the Compose specification, every Kubernetes manifest (each overlay rendered by
kustomize) against the Kubernetes schemas, and what the schemas cannot say: probes, limits,
unprivileged users, one database per service, network reach, settings that exist."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import check_jsonschema
import jsonschema
import kubernetes_validate
import pytest
import yaml

from notify.settings import NotifySettings
from providers.settings import ProvidersSettings
from referral.settings import ReferralSettings
from registry.settings import RegistrySettings
from reports.settings import ReportsSettings
from sprpa_shared.ops.embedded import WAL_SETTINGS
from sprpa_shared.settings import ServiceSettings
from web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES_VERSION = "1.33.0"
SETTINGS = {cls.service: cls for cls in (WebSettings, RegistrySettings, ProvidersSettings, ReferralSettings,
                                         ReportsSettings, NotifySettings)}
PORTS = {name: cls.default_port for name, cls in SETTINGS.items()}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def compose_schema() -> dict:
    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    return json.loads(path.read_text())


def rendered(overlay: str) -> list[dict]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with its built-in kustomize) is needed to render deploy/k8s; install it"
    result = subprocess.run([kubectl, "kustomize", str(DEPLOY / "k8s" / "overlays" / overlay)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def known_setting(name: str, service: str) -> bool:
    """An environment variable a service reads: its prefix and one of its settings' fields."""
    cls = SETTINGS[service]
    prefix = cls.model_config["env_prefix"]
    if name.startswith("OTEL_"):
        return True  # OpenTelemetry's own variables, read by its SDK
    return name.startswith(prefix) and name[len(prefix):].lower() in cls.model_fields


# --- compose -----------------------------------------------------------------------------------

def test_the_compose_file_follows_the_compose_specification():
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert not [error.message for error in validator.iter_errors(compose())]

    broken = copy.deepcopy(compose())
    broken["services"]["registry"]["healthcheck"]["retries"] = [3]
    broken["services"]["referral"]["restart_policy"] = "always"
    errors = " ".join(error.message for error in validator.iter_errors(broken))
    assert "[3] is not of type" in errors and "'restart_policy' was unexpected" in errors, errors


def test_compose_runs_a_three_node_jetstream_cluster_that_syncs_every_write():
    services = compose()["services"]
    nodes = sorted(name for name in services if name.startswith("nats-"))
    assert nodes == ["nats-1", "nats-2", "nats-3"]
    config = (DEPLOY / "compose" / "nats.conf").read_text()
    assert re.search(r"^\s*sync_interval:\s*always\s*$", config, re.M)
    assert re.search(r"jetstream\s*\{[^}]*store_dir", config)
    assert all(f"nats://{node}:6222" in config for node in nodes), "every node routes to every other"
    for node in nodes:
        assert services[node]["environment"]["NATS_SERVER_NAME"] == node
        assert any(volume.endswith(":/data") for volume in services[node]["volumes"]), "file storage on a volume"


def test_every_compose_service_has_its_own_database_a_migration_step_and_a_health_check():
    services = compose()["services"]
    databases = set()
    for name, settings in SETTINGS.items():
        service, migrate = services[name], services[f"{name}-migrate"]
        prefix = settings.model_config["env_prefix"]
        env = service["environment"]
        assert migrate["command"] == ["migrate"] and migrate["environment"] == env
        assert service["depends_on"][f"{name}-migrate"]["condition"] == "service_completed_successfully"
        assert f"{PORTS[name]}/readyz" in " ".join(service["healthcheck"]["test"])
        assert env[f"{prefix}STREAM_REPLICAS"] == "3"
        assert env[f"{prefix}ENVIRONMENT"] == "production"
        assert env[f"{prefix}NATS_URL"].count("tls://") == 3, "NATS only over TLS"
        assert env[f"{prefix}NATS_SEED_FILE"] == "/run/secrets/nats-seed"
        assert {"source": f"nats-{name}", "target": "nats-seed"} in service["secrets"], "its own NATS user"
        url = env[f"{prefix}DATABASE_URL"]
        assert re.fullmatch(rf"postgresql://sprpa_{name}:\$\{{SPRPA_DB_PASSWORD[^}}]*\}}@postgres:5432/sprpa_{name}",
                            url), url
        databases.add(url.rsplit("/", 1)[1])
        unknown = [key for key in env if not known_setting(key, name)]
        assert not unknown, f"{name}: settings that do not exist: {unknown}"
        assert service["image"].startswith(f"sprpa/{name}:")
    assert len(databases) == len(SETTINGS)
    init = (DEPLOY / "compose" / "postgres-init.sh").read_text()
    assert "for service in " + " ".join(SETTINGS) in init


# --- Kubernetes --------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=["staging", "production"])
def manifests(request) -> list[dict]:
    return rendered(request.param)


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def test_every_kubernetes_manifest_validates_against_the_kubernetes_schemas(manifests):
    builtin = [doc for doc in manifests if doc["apiVersion"] != "postgresql.cnpg.io/v1"]
    for doc in builtin:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert {doc["kind"] for doc in builtin} >= {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget",
                                                 "NetworkPolicy", "HorizontalPodAutoscaler"}

    broken = copy.deepcopy(by_kind(manifests, "Deployment")["referral"])
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["prot"] = "http"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_each_service_has_its_own_postgres_cluster(manifests):
    clusters = by_kind(manifests, "Cluster")
    assert set(clusters) == {f"sprpa-{name}-db" for name in SETTINGS}
    for name in SETTINGS:
        spec = clusters[f"sprpa-{name}-db"]["spec"]
        assert spec["bootstrap"]["initdb"] == {"database": f"sprpa_{name}", "owner": f"sprpa_{name}"}
        assert spec["instances"] >= 1 and spec["storage"]["size"]


def test_deployments_probe_health_and_readiness_limit_resources_and_run_unprivileged(manifests):
    deployments = by_kind(manifests, "Deployment")
    assert set(deployments) == set(SETTINGS)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
        (container,) = pod["containers"]
        (migrate,) = pod["initContainers"]
        assert container["args"] == ["serve"] and migrate["args"] == ["migrate"]
        assert container["image"] == migrate["image"] and container["image"].split("/")[-1].startswith(name)
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["ports"][0]["containerPort"] == PORTS[name]
        for each in (container, migrate):
            assert {"cpu", "memory"} <= set(each["resources"]["requests"]) and "memory" in each["resources"]["limits"]
            assert each["securityContext"]["allowPrivilegeEscalation"] is False
            assert each["securityContext"]["readOnlyRootFilesystem"] is True
            env = {item["name"]: item for item in each["env"]}
            database = env[f"SPRPA_{name.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
            assert database["name"] == f"sprpa-{name}-db-app", "its own database's secret"
            assert not [key for key in env if not known_setting(key, name)]


def test_config_maps_name_only_settings_that_exist(manifests):
    maps = by_kind(manifests, "ConfigMap")
    for name in SETTINGS:
        data = maps[name]["data"]
        assert not [key for key in data if not known_setting(key, name)], f"{name}: unknown settings"
        assert data[f"SPRPA_{name.upper()}_STREAM_REPLICAS"] == "3"
        assert data[f"SPRPA_{name.upper()}_PORT"] == str(PORTS[name])


def test_each_service_reaches_only_its_database_and_nats(manifests):
    policies = by_kind(manifests, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for name in SETTINGS:
        policy = policies[name]["spec"]
        assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        reached = [peer.get("podSelector", {}).get("matchLabels", {})
                   for rule in policy["egress"] for peer in rule["to"]]
        databases = [labels["cnpg.io/cluster"] for labels in reached if "cnpg.io/cluster" in labels]
        assert databases == [f"sprpa-{name}-db"]
        assert {"app.kubernetes.io/name": "nats"} in reached
        assert not [labels for labels in reached if labels.get("app.kubernetes.io/name") in set(SETTINGS) - {"web"}], \
            "services call no other service"


def test_autoscalers_and_disruption_budgets_select_real_deployments(manifests):
    deployments = by_kind(manifests, "Deployment")
    autoscalers = by_kind(manifests, "HorizontalPodAutoscaler")
    assert set(autoscalers) == {"registry", "providers", "referral", "reports", "notify"}, "every event consumer scales"
    for name, autoscaler in autoscalers.items():
        assert autoscaler["spec"]["scaleTargetRef"]["name"] in deployments
        assert "replicas" not in deployments[name]["spec"], "the autoscaler owns the replica count"
        assert autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"]
    for name, budget in by_kind(manifests, "PodDisruptionBudget").items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for name, service in by_kind(manifests, "Service").items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()


def test_the_nats_helm_values_ask_for_a_three_node_file_backed_cluster_that_syncs_every_write():
    values = yaml.safe_load((DEPLOY / "k8s" / "nats" / "values.yaml").read_text())
    cluster = values["config"]["cluster"]
    assert cluster["enabled"] and cluster["replicas"] == 3
    assert cluster["tls"]["enabled"] and values["config"]["nats"]["tls"]["enabled"], "routes and clients over TLS"
    jetstream = values["config"]["jetstream"]
    assert jetstream["enabled"] and jetstream["fileStore"]["enabled"] and jetstream["fileStore"]["pvc"]["enabled"]
    assert jetstream["merge"]["sync_interval"] == "always"


# --- images ------------------------------------------------------------------------------------

def test_the_dockerfile_has_an_unprivileged_target_per_service_with_serve_and_migrate():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", dockerfile, flags=re.M)[1:]
    targets = {stage.split()[2]: stage for stage in stages if " AS " in stage.splitlines()[0]}
    assert set(SETTINGS) <= set(targets)
    for name in SETTINGS:
        stage = targets[name]
        assert stage.splitlines()[0].startswith("runtime AS"), "every service image builds on the runtime stage"
        assert re.search(r"^USER 10001$", stage, re.M)
        assert f'ENTRYPOINT ["python", "-m", "{name}"]' in stage and 'CMD ["serve"]' in stage
        assert f"EXPOSE {PORTS[name]}" in stage
        assert f"COPY services/{name} " in stage


def test_images_leave_out_the_embedded_servers_and_test_tools_and_every_exclusion_matches():
    lock = (ROOT / "requirements.lock").read_text().splitlines()
    for pattern in (DEPLOY / "image-excludes.txt").read_text().split():
        assert [line for line in lock if re.search(pattern, line, re.I)], f"{pattern} matches nothing in the lock"
    dockerignore = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".sprpa", "node_modules", "services/*/tests"} <= set(dockerignore)


def test_make_images_without_a_container_engine_says_so_and_builds_nothing(tmp_path):
    result = subprocess.run([str(DEPLOY / "images.sh")], capture_output=True, text=True, timeout=30,
                            env={**os.environ, "DOCKER": str(tmp_path / "no-docker-here")})
    assert result.returncode == 2
    assert "no image was built" in result.stderr and "make test" in result.stderr


def test_every_setting_of_every_service_is_in_the_configuration_reference():
    documented = (ROOT / "docs" / "operations.md").read_text()
    base = set(ServiceSettings.model_fields)
    missing = [f"`{name.upper()}`" for name in base if f"`{name.upper()}`" not in documented]
    for cls in SETTINGS.values():
        prefix = cls.model_config["env_prefix"]
        missing += [f"{prefix}{name.upper()}" for name in set(cls.model_fields) - base
                    if f"`{prefix}{name.upper()}`" not in documented]
    assert not missing, f"settings missing from docs/operations.md: {missing}"



def test_the_registrys_servers_keep_an_imports_wal_from_holding_up_small_commits(manifests):
    """The WAL settings the embedded server runs with (issue 27) are the deployed registry's too."""
    command = compose()["services"]["postgres"]["command"]
    assert all(f"{name}={value}" in command for name, value in WAL_SETTINGS.items())
    parameters = by_kind(manifests, "Cluster")["sprpa-registry-db"]["spec"]["postgresql"]["parameters"]
    assert {name: parameters.get(name) for name in WAL_SETTINGS} == WAL_SETTINGS
