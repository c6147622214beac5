"""config/prometheus.example.yml and docker/: promtool and docker-compose accept them,
every file compose mounts or the Dockerfile copies exists, images are pinned, and the
Dockerfile's runtime packages provide every library the built exporter links.
No Docker engine runs here: nothing is built or started (docs/alerts.md, "Docker")."""
import os
import re
import subprocess

import pytest
import yaml

from promside.alert_catalog import REPO
from promside.promtools import PROMTOOL, run

COMPOSE = os.path.join(REPO, "docker", "compose.yml")
DOCKERFILE = os.path.join(REPO, "docker", "Dockerfile")
# In debian:12-slim already (Essential packages and apt's dependencies).
BASE_IMAGE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}


def test_promtool_check_config():
    for path in ("config/prometheus.example.yml", "docker/prometheus/prometheus.yml"):
        r = run([PROMTOOL, "check", "config", path])
        assert "is valid prometheus config file syntax" in r.stdout, path
    # The example's rule_files reach the rules (promtool checked them too).
    r = run([PROMTOOL, "check", "config", "config/prometheus.example.yml"])
    assert "alerts/cloudstack-mshost.rules.yml" in r.stdout and "SUCCESS: 18 rules" in r.stdout


def test_example_scrape_configs_set_the_target_label():
    with open(os.path.join(REPO, "config", "prometheus.example.yml"), encoding="utf-8") as f:
        jobs = {j["job_name"]: j for j in yaml.safe_load(f)["scrape_configs"]}
    assert all(name.startswith("cloudstack-mshost") for name in jobs)
    assert jobs["cloudstack-mshost"]["static_configs"][0]["labels"]["target"]
    relabel = jobs["cloudstack-mshost-probe"]["relabel_configs"]
    assert {"source_labels": ["__param_target"], "target_label": "target"} in relabel
    assert jobs["cloudstack-mshost-probe"]["metrics_path"] == "/probe"
    # instance stays the exporter's address, so HA replicas are distinct instances.
    assert not any(r.get("target_label") == "instance" for r in relabel)
    assert {"source_labels": ["__exporter"], "target_label": "__address__"} in relabel
    drop = jobs["cloudstack-mshost-exporter"]["metric_relabel_configs"][0]
    assert drop["action"] == "drop" and drop["regex"] == "cloudstack_mshost_.*"


def test_docker_compose_config():
    r = run(["docker-compose", "-f", COMPOSE, "config", "--quiet"])
    assert r.stderr.strip() == "", r.stderr


def compose():
    with open(COMPOSE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_compose_has_the_whole_stack_with_pinned_images():
    services = compose()["services"]
    assert set(services) == {"mariadb", "simulator", "exporter", "prometheus",
                             "alertmanager", "grafana"}
    for name, service in services.items():
        image = service["image"]
        if "build" in service:
            continue  # built from docker/Dockerfile, itself pinned (below)
        repo, _, tag = image.rpartition(":")
        assert repo and re.search(r"\d", tag) and tag != "latest", "%s: unpinned %s" % (name, image)


def test_compose_mounts_existing_files():
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            host = volume.split(":")[0]
            if host.startswith((".", "/")):
                path = os.path.normpath(os.path.join(REPO, "docker", host))
                assert os.path.exists(path), "%s mounts missing %s" % (name, path)


def dockerfile_stages():
    """[(FROM line, [instruction lines])] with continuation lines joined."""
    with open(DOCKERFILE, encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append((line, []))
        elif stages:
            stages[-1][1].append(line)
    return stages


def test_dockerfile_is_multi_stage_on_bookworm_and_runs_unprivileged():
    with open(DOCKERFILE, encoding="utf-8") as f:
        base = re.search(r"^ARG DEBIAN=(\S+)$", f.read(), re.M).group(1)
    assert re.fullmatch(r"debian:(12(\.\d+)?|bookworm)(-[\w.]+)?", base), base
    stages = dockerfile_stages()
    assert len(stages) >= 2 and all(s[0].startswith("FROM ${DEBIAN}") for s in stages)
    build = " ".join(stages[0][1])
    assert "scripts/install-deps.sh --build-only" in build and "cmake --build" in build
    final = stages[-1][1]
    users = [l.split()[1] for l in final if l.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert "EXPOSE 9887" in final
    health = [l for l in final if l.startswith("HEALTHCHECK ")]
    # The exporter's own `healthcheck` subcommand asks /-/healthy (no curl needed).
    assert health and '"healthcheck"' in health[0]
    # The runtime stage takes what the install rules installed (binary, TLS shims).
    assert "cmake --install build" in build and "COPY --from=build /out/ /" in final
    assert not any("-dev" in l for l in final), "a -dev package in the final image"


def test_dockerfile_copies_existing_paths():
    for _, lines in dockerfile_stages():
        for line in lines:
            if line.startswith("COPY ") and "--from=" not in line:
                for src in line.split()[1:-1]:
                    assert os.path.exists(os.path.join(REPO, src)), "COPY of missing " + src


def runtime_packages():
    final = " ".join(dockerfile_stages()[-1][1])
    install = re.search(r"apt-get install -y --no-install-recommends (.*?)&&", final).group(1)
    return set(install.split())


def test_runtime_packages_exist_in_debian():
    for package in runtime_packages():
        r = subprocess.run(["dpkg-query", "-W", "-f=${Package}", package], capture_output=True,
                           text=True)
        assert r.returncode == 0, "%s is not a Debian package known here" % package


def test_runtime_packages_provide_every_library_the_exporter_links():
    binary = os.path.join(os.environ.get("MSX_BUILD_DIR", os.path.join(REPO, "build")),
                          "mshost_exporter")
    if not os.path.exists(binary):
        pytest.fail("%s is not built (set MSX_BUILD_DIR or build first)" % binary)
    needed = re.findall(r"NEEDED\s+(\S+)", subprocess.run(
        ["objdump", "-p", binary], capture_output=True, text=True, check=True).stdout)
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(
        ["ldd", binary], capture_output=True, text=True, check=True).stdout, re.M))
    assert needed
    missing = {}
    for lib in needed:
        path = os.path.realpath(paths[lib])
        owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if owner.returncode != 0:  # /lib -> /usr/lib merged paths
            owner = subprocess.run(["dpkg", "-S", paths[lib]], capture_output=True, text=True)
        assert owner.returncode == 0, "no package owns %s" % path
        package = owner.stdout.split(":")[0]
        if package not in runtime_packages() | BASE_IMAGE_PACKAGES:
            missing[lib] = package
    assert not missing, "add to docker/Dockerfile's runtime stage: %s" % missing
