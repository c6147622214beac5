// The monitoring mixin of mshost_exporter: Prometheus alerts and recording rules and a
// Grafana dashboard, generated into alerts/ and dashboards/ by mixin/build.sh.
// prometheusAlerts, prometheusRules and grafanaDashboards as every mixin names them;
// config.libsonnet has the parameters.
(import 'config.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
