#!/usr/bin/env bash
# Generates the files users drop in from the mixin: alerts/cloudstack-mshost.rules.yml
# and dashboards/cloudstack-mshost.json. Run it after changing anything under mixin/ and
# commit what it writes; tests/promside/test_mixin.py fails while they differ.
#   mixin/build.sh            writes into the repository
#   mixin/build.sh DIR        writes DIR/alerts/... and DIR/dashboards/... instead
# Needs jsonnet (Debian's jsonnet package, scripts/install-deps.sh installs it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/..}"
mkdir -p "$out/alerts" "$out/dashboards"

{
  cat <<'HEADER'
# Generated from mixin/ by mixin/build.sh: do not edit. Change mixin/ (or override its
# _config, docs/alerts.md "Changing the mixin") and run mixin/build.sh.
#
# Prometheus rules for mshost_exporter: is every CloudStack management server that its
# cloud.mshost row calls running really running? docs/alerts.md explains every rule;
# each alert links its runbook (served by the exporter at /runbooks/<alertname>).
HEADER
  jsonnet -S -J "$here" -e '
    local mixin = import "mixin.libsonnet";
    std.manifestYamlDoc(
      { groups: mixin.prometheusRules.groups + mixin.prometheusAlerts.groups },
      indent_array_in_object=true, quote_keys=false)'
  echo
} >"$out/alerts/cloudstack-mshost.rules.yml.tmp"
mv "$out/alerts/cloudstack-mshost.rules.yml.tmp" "$out/alerts/cloudstack-mshost.rules.yml"

jsonnet -J "$here" -m "$out/dashboards" -e '
  local mixin = import "mixin.libsonnet";
  mixin.grafanaDashboards' >/dev/null
