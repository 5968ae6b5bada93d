"""The Kubernetes deployment in deploy/: every manifest parses, RBAC is read-only and grants exactly
what the Kubernetes backend reads, the container runs a valid ``serve`` command, probes, mounts
and configs line up, and no secret value is committed."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from data_paths import PROJECT_ROOT
from sre_agent.backends._kube_kinds import rbac_rules
from sre_agent.backends.kubernetes import KINDS, READ_METHODS
from sre_agent.cli import build_parser

DEPLOY = PROJECT_ROOT / "deploy"
#: the manifests (kustomize base of deploy/ and of the namespaced overlay deploy/namespaced/)
BASE = DEPLOY / "base"
NAMESPACED = DEPLOY / "namespaced"
READ_VERBS = {"get", "list"}
#: secrets the ClusterRole may grant, with the reason (none: the agent never reads Secrets)
JUSTIFIED_SECRETS: dict[str, str] = {}
AUTH_FLAGS = ("--auth-token-file", "--auth-token-env", "--basic-auth-file", "--no-auth")


def _load(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


DOCS = {p.name: _load(p) for p in sorted(BASE.glob("*.yaml"))}
DOCS["alertmanager-receiver.yaml"] = _load(DEPLOY / "alertmanager-receiver.yaml")  # a snippet, not a manifest
MANIFESTS = [d for name, docs in DOCS.items() for d in docs if "apiVersion" in d and "kind" in d
             and d["kind"] != "Kustomization"]


def _one(kind: str) -> dict:
    found = [d for d in MANIFESTS if d["kind"] == kind]
    assert len(found) == 1, kind
    return found[0]


def _container() -> dict:
    (container,) = _one("Deployment")["spec"]["template"]["spec"]["containers"]
    return container


def _serve_parser():
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices["serve"]


def _serve_argv(command: list[str]) -> list[str]:
    """``python -m sre_agent serve ...`` -> ``["serve", ...]`` (what the CLI parser receives)."""
    assert command[:3] == ["python", "-m", "sre_agent"], command
    return command[3:]


def _without_auth(argv: list[str]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        name = a.split("=", 1)[0]
        if name in AUTH_FLAGS:
            skip = "=" not in a and name != "--no-auth"
            continue
        out.append(a)
    return out


def _parse_serve(argv: list[str]):
    assert "--auth-token-file" in _serve_parser()._option_string_actions  # the manifests rely on it
    return build_parser().parse_args(argv)


# -- parsing and layout ------------------------------------------------------------------------
def test_every_yaml_parses_and_kustomization_lists_every_manifest():
    assert {"kustomization.yaml", "deployment.yaml", "rbac.yaml", "configmap.yaml", "service.yaml",
            "serviceaccount.yaml", "alertmanager-receiver.yaml"} <= set(DOCS)
    (kustomization,) = DOCS["kustomization.yaml"]
    listed = set(kustomization["resources"])
    manifests = {name for name, docs in DOCS.items() if docs and all("kind" in d for d in docs)} - {"kustomization.yaml"}
    assert listed == manifests  # every manifest applied, nothing listed that does not exist
    assert "alertmanager-receiver.yaml" not in listed  # an Alertmanager config snippet, not a manifest
    assert all(d["metadata"]["name"] for d in MANIFESTS)
    namespaced = [d for d in MANIFESTS if d["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding")]
    assert {d["metadata"].get("namespace") for d in namespaced} == {kustomization["namespace"]}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_renders_the_same_objects():
    out = subprocess.run(["kubectl", "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=60)  # -> base
    assert out.returncode == 0, out.stderr
    rendered = [d for d in yaml.safe_load_all(out.stdout) if d]
    assert sorted((d["kind"], d["metadata"]["name"]) for d in rendered) == \
        sorted((d["kind"], d["metadata"]["name"]) for d in MANIFESTS)


# -- RBAC --------------------------------------------------------------------------------------
def _code_reads(namespaced_only: bool = False) -> set[tuple[str, str, str]]:
    """(apiGroup, resource, verb) of everything sre_agent/backends/kubernetes.py reads (the live
    test in test_live_kubernetes_kinds.py proves rbac_rules() equal to the requests a triage makes)."""
    reads = {(r["apiGroups"][0], res, r["verbs"][0]) for r in rbac_rules(namespaced_only) for res in r["resources"]}
    assert {res for _, res, verb in reads if verb == "list"} >= {spec[0] for spec in KINDS.values() if spec[5]}
    assert "list_namespaced_event" in READ_METHODS["core"][1] and READ_METHODS["events"][0] == "EventsV1Api"
    assert "read_namespaced_pod_log" in READ_METHODS["core"][1] and ("", "pods/log", "get") in reads
    return reads


def _granted(rules: list[dict]) -> set[tuple[str, str, str]]:
    granted = set()
    for rule in rules:
        verbs, resources, groups = set(rule["verbs"]), set(rule.get("resources", [])), set(rule.get("apiGroups", []))
        assert verbs <= READ_VERBS, rule  # no watch: nothing is watched
        assert "*" not in verbs | resources | groups, rule
        assert not rule.get("nonResourceURLs") and not rule.get("resourceNames"), rule
        assert all(JUSTIFIED_SECRETS.get(r) for r in resources if r.split("/")[0] == "secrets"), rule
        assert not any(r.split("/")[-1] in ("exec", "attach", "portforward", "proxy") for r in resources), rule
        granted |= {(g, r, v) for g in groups for r in resources for v in verbs}
    return granted


def test_rbac_grants_read_verbs_only_on_exactly_what_the_code_reads():
    roles = [d for d in MANIFESTS if d["kind"] in ("ClusterRole", "Role")]
    assert len(roles) == 1
    assert _granted(roles[0]["rules"]) == _code_reads()


def _namespaced() -> list[dict]:
    docs = _load(NAMESPACED / "roles.yaml")
    assert {d["kind"] for d in docs} == {"Role", "RoleBinding"}
    return docs


def test_the_namespaced_overlay_grants_a_role_per_namespace_the_live_config_reads():
    from sre_agent.backends.live_config import LiveConfig

    (kustomization,) = _load(NAMESPACED / "kustomization.yaml")
    assert "../base" in kustomization["resources"] and "roles.yaml" in kustomization["resources"]
    deleted = {yaml.safe_load(p["patch"])["kind"] for p in kustomization["patches"] if "patch" in p}
    assert deleted == {"ClusterRole", "ClusterRoleBinding"}  # no cluster-wide grant left
    (patch,) = _load(NAMESPACED / "live-config.yaml")
    assert patch["metadata"]["name"] == _one("ConfigMap")["metadata"]["name"]
    live = LiveConfig.model_validate(yaml.safe_load(patch["data"]["live.yaml"]))
    assert live.kubernetes.cluster_reads is False and live.kubernetes.namespaces
    docs = _namespaced()
    roles = [d for d in docs if d["kind"] == "Role"]
    assert sorted(r["metadata"]["namespace"] for r in roles) == sorted(live.kubernetes.namespaces)
    for role in roles:
        assert _granted(role["rules"]) == _code_reads(namespaced_only=True)
    sa = _one("ServiceAccount")
    for binding in (d for d in docs if d["kind"] == "RoleBinding"):
        role = next(r for r in roles if r["metadata"]["namespace"] == binding["metadata"]["namespace"])
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                      "name": role["metadata"]["name"]}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                                        "namespace": sa["metadata"]["namespace"]}]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_renders_the_namespaced_variant_without_a_cluster_role():
    out = subprocess.run(["kubectl", "kustomize", str(NAMESPACED)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rendered = [d for d in yaml.safe_load_all(out.stdout) if d]
    kinds = {d["kind"] for d in rendered}
    assert "ClusterRole" not in kinds and "ClusterRoleBinding" not in kinds and {"Role", "RoleBinding"} <= kinds
    config = next(d for d in rendered if d["kind"] == "ConfigMap")
    assert yaml.safe_load(config["data"]["live.yaml"])["kubernetes"]["cluster_reads"] is False
    assert len([d for d in rendered if d["kind"] == "Deployment"]) == 1


def test_the_role_is_bound_to_the_deployments_service_account():
    binding, sa = _one("ClusterRoleBinding"), _one("ServiceAccount")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": _one("ClusterRole")["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                                    "namespace": sa["metadata"]["namespace"]}]
    assert _one("Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == sa["metadata"]["name"]


# -- the container -----------------------------------------------------------------------------
def test_serve_command_without_auth_parses():
    """Everything but the auth options parses with the real CLI parser (they come with the serve branch)."""
    c = _container()
    args = build_parser().parse_args(_without_auth(_serve_argv(c["command"] + c["args"])))
    assert args.command == "serve" and args.host == "0.0.0.0"
    assert args.port == c["ports"][0]["containerPort"] == 9095
    assert args.live_config == Path("/etc/sre-agent/live.yaml") and args.out == Path("/var/lib/sre-agent")
    assert args.config == Path("/etc/sre-agent/run.yaml")


def test_serve_command_parses_with_the_real_parser():
    c = _container()
    argv = _serve_argv(c["command"] + c["args"])
    args = _parse_serve(argv)
    assert args.command == "serve" and args.port == 9095
    assert str(args.auth_token_file) == "/etc/sre-agent/token/token"


def _mounts() -> dict[str, dict]:
    return {m["mountPath"]: m for m in _container()["volumeMounts"]}


def _volume(name: str) -> dict:
    return next(v for v in _one("Deployment")["spec"]["template"]["spec"]["volumes"] if v["name"] == name)


def test_configs_and_token_are_mounted_where_the_command_reads_them():
    c = _container()
    argv = _serve_argv(c["command"] + c["args"])
    flags = dict(a.split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    config_mount = _mounts()["/etc/sre-agent"]
    assert config_mount["readOnly"] is True
    sources = _volume(config_mount["name"])["projected"]["sources"]
    files = {f"/etc/sre-agent/{i['path']}": (kind, s[kind]["name"], i["key"])
             for s in sources for kind in ("configMap", "secret") if kind in s for i in s[kind]["items"]}
    cm = _one("ConfigMap")["metadata"]["name"]
    assert files[flags["--live-config"]] == ("configMap", cm, "live.yaml")
    assert files[flags["--config"]] == ("configMap", cm, "run.yaml")
    assert files[flags["--auth-token-file"]] == ("secret", "sre-agent-webhook-token", "token")
    out = _mounts()[flags["--out"]]
    assert not out.get("readOnly") and "persistentVolumeClaim" in _volume(out["name"])
    assert _volume(out["name"])["persistentVolumeClaim"]["claimName"] == _one("PersistentVolumeClaim")["metadata"]["name"]


def test_probes_point_at_healthz_and_readyz_on_the_container_port():
    c = _container()
    port = c["ports"][0]
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c[probe]["httpGet"]
        assert get["path"] == path and get["port"] in (port["name"], port["containerPort"]), probe
    svc_port = _one("Service")["spec"]["ports"][0]
    assert svc_port["targetPort"] in (port["name"], port["containerPort"])
    assert _one("Service")["spec"]["selector"].items() <= \
        _one("Deployment")["spec"]["template"]["metadata"]["labels"].items()


def test_runs_as_non_root_on_a_read_only_root_filesystem():
    pod = _one("Deployment")["spec"]["template"]["spec"]
    c = _container()
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"] and not sc.get("privileged")
    writable = [m["mountPath"] for m in c["volumeMounts"] if not m.get("readOnly")]
    assert set(writable) == {"/var/lib/sre-agent", "/tmp"}


def test_no_secret_value_is_committed():
    assert not [d for d in MANIFESTS if d["kind"] == "Secret"]
    c = _container()
    for env in c.get("env", []):
        if re.search(r"KEY|TOKEN|PASSWORD|SECRET", env["name"]):
            assert "value" not in env and env["valueFrom"]["secretKeyRef"]["name"], env
    model_key = next(e for e in c["env"] if e["name"] == "OPENAI_API_KEY")
    assert model_key["valueFrom"]["secretKeyRef"]["optional"] is True  # only an LLM profile needs it
    text = "\n".join(p.read_text() for p in DEPLOY.iterdir() if p.is_file())
    assert not re.search(r"(?i)(sk-[a-z0-9]{16,}|bearer[ \t]+[a-z0-9._~+/-]{16,}|\bcredentials:[ \t]*\S)", text)


# -- configs -----------------------------------------------------------------------------------
def test_configmap_holds_a_live_config_the_loader_accepts(tmp_path):
    from sre_agent.backends.live_config import load_live_config
    from sre_agent.config import load_config

    data = _one("ConfigMap")["data"]
    (tmp_path / "live.yaml").write_text(data["live.yaml"])
    live = load_live_config(tmp_path / "live.yaml")
    assert live.kubernetes is not None and live.kubernetes.kubeconfig is None  # in-cluster
    assert all(getattr(live, s) is not None and getattr(live, s).enabled
               for s in ("kubernetes", "prometheus", "jaeger", "alertmanager"))
    assert all(".svc" in getattr(live, s).url for s in ("prometheus", "jaeger", "alertmanager"))
    (tmp_path / "run.yaml").write_text(data["run.yaml"])
    assert load_config(tmp_path / "run.yaml").model.name == "clean"


def test_alertmanager_receiver_posts_to_the_service_with_a_token_file():
    from sre_agent.commands import serve

    (snippet,) = DOCS["alertmanager-receiver.yaml"]
    (receiver,) = snippet["receivers"]
    (hook,) = receiver["webhook_configs"]
    svc = _one("Service")
    m = re.match(r"^http://([^./]+)\.([^./]+)\.svc(?:\.cluster\.local)?:(\d+)(/.*)$", hook["url"])
    assert m and m.group(1) == svc["metadata"]["name"] and m.group(2) == svc["metadata"]["namespace"]
    assert int(m.group(3)) == svc["spec"]["ports"][0]["port"]
    assert m.group(4) in getattr(serve, "WEBHOOK_PATHS", ("/", "/webhook", "/alerts"))
    auth = hook["http_config"]["authorization"]
    assert auth["type"] == "Bearer" and auth["credentials_file"] and "credentials" not in auth
    assert any(r["receiver"] == receiver["name"] for r in snippet["route"]["routes"])


def test_alertmanager_accepts_the_receiver(tmp_path):
    amtool = shutil.which("amtool")
    if amtool is None:
        if os.environ.get("SRE_AGENT_REQUIRE_LIVE"):
            pytest.fail("amtool (Debian prometheus-alertmanager) is not installed")
        pytest.skip("amtool not installed (run .ci/install-servers.sh)")
    (snippet,) = DOCS["alertmanager-receiver.yaml"]
    config = {"route": {"receiver": "default", **snippet["route"]},
              "receivers": [{"name": "default"}] + snippet["receivers"]}
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    out = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


# -- the image ---------------------------------------------------------------------------------
def _dockerfile() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
            for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_dockerfile_installs_the_package_and_runs_serve_as_non_root():
    steps = _dockerfile()
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.11\.\d+-slim", steps[0][1]), steps[0]  # a patch version
    runs = " && ".join(arg for op, arg in steps if op == "RUN")
    # every dependency from the hashed lock of serve's own dependencies, then the project alone
    assert re.search(r"\bpip install --require-hashes -r requirements/serve\.lock\b.*\bpip install --no-deps \.(\s|$)",
                     runs), runs
    copied = " ".join(arg for op, arg in steps if op == "COPY")
    for needed in ("pyproject.toml", "requirements/serve.lock", "LICENSE", "sre_agent", "tools", "eval", "prompts",
                   "configs"):
        assert needed in copied, needed
    user = [arg for op, arg in steps if op == "USER"][-1]
    assert user.split(":")[0] not in ("0", "root")
    entry = yaml.safe_load([arg for op, arg in steps if op == "ENTRYPOINT"][-1])
    cmd = yaml.safe_load([arg for op, arg in steps if op == "CMD"][-1])
    argv = _serve_argv(entry + cmd)
    args = build_parser().parse_args(_without_auth(argv))
    assert args.command == "serve" and args.port == 9095 and args.host == "0.0.0.0"
    assert "sre_agent" in shlex.join(entry)


def test_everything_the_dockerfile_copies_is_sent_in_the_build_context():
    """No docker engine here: check the ignore file lets through each COPY source (a miss fails the build)."""
    import fnmatch

    patterns = [ln.strip() for ln in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
                if ln.strip() and not ln.startswith("#")]
    assert patterns[0] == "**"  # everything else stays out of the context
    admitted = [p[1:] for p in patterns if p.startswith("!")]
    copies = [arg.split()[:-1] for op, arg in _dockerfile() if op == "COPY"]
    for sources in copies:
        for source in sources:
            path = source.rstrip("/")
            assert (PROJECT_ROOT / path).exists(), path
            assert any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path + "/x", p) for p in admitted), path
