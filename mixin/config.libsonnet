// The mixin's parameters. Override any of them without editing the generated files:
//
//   local mixin = (import 'mshost_exporter/mixin/mixin.libsonnet') + {
//     _config+:: { mshostSelector: 'job="cloudstack"', runbookURLPattern: 'https://wiki.example/%s' },
//   };
//
// docs/alerts.md ("Changing the mixin") has the whole recipe.
local verdicts = import 'verdicts.libsonnet';

{
  _config+:: {
    // The series of the CloudStack targets (cloudstack_mshost_*): every rule and panel
    // adds this matcher. The jobs that scrape /metrics or /probe?target=.
    mshostSelector: 'job=~"cloudstack-mshost.*"',
    // The exporter's own series (mshost_exporter_*, up): the jobs that scrape /metrics.
    exporterSelector: 'job=~"cloudstack-mshost.*"',

    // Labels that tell the replicas of an HA pair apart (docs/operations.md): rules and
    // panels aggregate them away, so two replicas give one alert and one count per node.
    // Every other label of a series (job, target, and whatever the scrape config adds,
    // e.g. cloudstack="prod-eu") is kept.
    replicaLabels: ['instance'],
    // The labels only per-node series have; they relate a node series to its scrape's
    // cloudstack_mshost_up.
    nodeLabels: ['msid', 'name'],

    // Where each alert's runbook_url points; %s is the alert name. The default asks
    // Prometheus for the URL of a scraped exporter (mshost_exporter_external_url_info,
    // the exporter's --web.external-url), which serves every runbook of its version at
    // /runbooks/<alertname>. Set a fixed URL to point elsewhere, e.g.
    // 'https://git.example.net/ops/mshost_exporter/-/blob/main/docs/runbooks/%s.md'.
    // Where your Grafana shows the dashboard, e.g.
    // 'https://grafana.example.net/d/cloudstack-mshost': when set, every alert gets a
    // dashboard_url annotation with the alert's target selected.
    dashboardURL: '',
    runbookURLPattern: '{{ with query `mshost_exporter_external_url_info{%s}` }}{{ . | first | label "url" }}{{ end }}/runbooks/%%s' % self.exporterSelector,

    // `for` of each alert: the verdicts' alerts' from verdicts.libsonnet, then the
    // others. The evaluator built into the exporter has the same defaults
    // (docs/alerting.md); change both together.
    alertFor: {
      [v.alert.name]: v.alert['for']
      for v in verdicts
      if std.objectHas(v, 'alert')
    } + {
      CloudStackMgmtServerFlapping: '0s',
      CloudStackNoRunningMgmtServer: '0s',
      CloudStackMshostSourceDown: '1m',
      CloudStackMshostExporterDown: '1m',
      MshostExporterConfigReloadFailed: '5m',
      MshostExporterAlertmanagerUnreachable: '5m',
      MshostExporterNotificationsDropped: '0s',
      MshostExporterLoopbackProbe: '15m',
      MshostExporterRowsSkipped: '15m',
    },
    // Severity of each alert (the same defaults as the built-in evaluator's), likewise.
    alertSeverity: {
      [v.alert.name]: v.alert.severity
      for v in verdicts
      if std.objectHas(v, 'alert')
    } + {
      CloudStackMgmtServerFlapping: 'warning',
      CloudStackNoRunningMgmtServer: 'critical',
      CloudStackMshostSourceDown: 'critical',
      CloudStackMshostExporterDown: 'critical',
      MshostExporterConfigReloadFailed: 'warning',
      MshostExporterAlertmanagerUnreachable: 'warning',
      MshostExporterNotificationsDropped: 'warning',
      MshostExporterLoopbackProbe: 'warning',
      MshostExporterRowsSkipped: 'warning',
    },
    // Flapping: more than this many restarts (new runids) of one node in the window.
    flappingRestarts: 3,
    flappingWindow: '15m',
    // MshostExporterAlertmanagerUnreachable looks at failed sends over this window.
    notificationErrorWindow: '5m',

    // The dashboard.
    dashboardUID: 'cloudstack-mshost',
    dashboardTitle: 'CloudStack management servers (mshost)',
    dashboardTags: ['cloudstack', 'mshost_exporter'],
    dashboardRefresh: '30s',
    dashboardTimezone: 'utc',
    // Labels the scrape configs add that users filter on: one dashboard variable each.
    dashboardScrapeLabels: ['cloudstack'],
  },
}
