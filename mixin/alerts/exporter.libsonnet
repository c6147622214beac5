// Alerts about the exporter itself, from its own metrics (docs/http.md, "Metrics").
// The built-in evaluator cannot raise these: a failed reload or an unreachable
// Alertmanager is exactly what it cannot report through itself. Like every rule here
// they carry no replica label: the description names the replicas concerned.
local p = import '../lib/promql.libsonnet';

{
  local cfg = self._config,
  local without = p.list(cfg.replicaLabels),

  local alert(name, expr, summary, description, extra={}) = {
    alert: name,
    expr: expr,
    'for': cfg.alertFor[name],
    labels: { severity: cfg.alertSeverity[name] },
    annotations: {
      summary: summary,
      description: p.fold(description),
      runbook_url: cfg.runbookURLPattern % name,
    } + (
      if cfg.dashboardURL == '' then {}
      else { dashboard_url: cfg.dashboardURL + '?var-target={{ with $labels.target }}{{ . | urlquery }}{{ else }}All{{ end }}' }
    ),
  } + extra,

  prometheusAlerts+:: {
    groups+: [{
      name: 'mshost-exporter',
      rules: [
        // A reload (SIGHUP, POST /-/reload) with a bad file keeps the old configuration
        // running and says so here. `for` lets an edit that is fixed at once pass.
        alert(
          'MshostExporterConfigReloadFailed',
          'count without (%s) (%s == 0)' % [without, p.m('mshost_exporter_config_last_reload_successful', cfg.exporterSelector)],
          'mshost_exporter could not reload its configuration',
          |||
            {{ with printf "mshost_exporter_config_last_reload_successful{job='%s'} == 0" $labels.job | query }}{{ range $i, $s := . }}{{ if $i }}, {{ end }}{{ $s.Labels.instance }}{{ end }}{{ end }}
            (job {{ $labels.job }}) rejected its configuration file at the last reload and keeps
            running the previous one: changes made since are not in force, and a restart would
            fail. Its log, or `mshost_exporter check-config`, names the file, line and key.
          |||,
        ),
        // Failed sends after the notifier's retries. rate() over the window keeps the
        // condition true for the window after the last error, so `for` needs errors for
        // longer than one window, and keep_firing_for stops a send that works now and then
        // from resolving and firing again at every success.
        alert(
          'MshostExporterAlertmanagerUnreachable',
          'sum without (%s, result) (rate(%s[%s])) > 0' % [without, p.m('mshost_exporter_notifications_total', cfg.exporterSelector, 'result="error"'), cfg.notificationErrorWindow],
          'mshost_exporter cannot deliver alerts to {{ $labels.alertmanager }}',
          std.strReplace(|||
            {{ with printf "rate(mshost_exporter_notifications_total{job='%s',alertmanager='%s',result='error'}[@WINDOW@]) > 0" $labels.job $labels.alertmanager | query }}{{ range $i, $s := . }}{{ if $i }}, {{ end }}{{ $s.Labels.instance }}{{ end }}{{ end }}
            (job {{ $labels.job }}) failed to send alerts to the Alertmanager {{ $labels.alertmanager }}
            after retries: the pages of the built-in
            evaluator do not arrive there. The exporter's log says why (connection refused, TLS,
            401, a 4xx with Alertmanager's answer).
          |||, '@WINDOW@', cfg.notificationErrorWindow),
          { keep_firing_for: '10m' },
        ),
        alert(
          'MshostExporterNotificationsDropped',
          'sum without (%s) (increase(%s[15m])) > 0' % [without, p.m('mshost_exporter_notifications_dropped_total', cfg.exporterSelector)],
          'mshost_exporter dropped alerts it could not send',
          |||
            An exporter of job {{ $labels.job }} dropped {{ $value | humanize }} alerts in 15 minutes
            because its queue to an Alertmanager was full: that Alertmanager is far too slow or
            unreachable. The next resend carries the current state, but notifications were late.
          |||,
        ),
        // A loopback service_ip (CloudStack's default cluster.node.IP) probed from another
        // host probes the exporter's own host: the verdicts then say nothing about the
        // node. Right only when the exporter runs on that node's host.
        alert(
          'MshostExporterLoopbackProbe',
          'count without (msid, name, address, loopback) (max without (%s) (%s == 1))' % [without, p.m('cloudstack_mshost_probe_target_info', cfg.mshostSelector, 'loopback="true"')],
          'mshost_exporter probes loopback addresses for target {{ $labels.target }}',
          |||
            {{ $value }} node(s) of target {{ $labels.target }} are probed at a loopback address taken
            from their service_ip ({{ with printf "max by (name, address) (cloudstack_mshost_probe_target_info{job='%s',target='%s',loopback='true'})" $labels.job $labels.target | query }}{{ range $i, $s := . }}{{ if $i }}, {{ end }}{{ $s.Labels.name }} at {{ $s.Labels.address }}{{ end }}{{ end }}):
            unless the exporter runs on that host, it probes itself, and the liveness half of the
            verdicts is wrong. Set probe.address (name or a host) or probe.overrides for the target.
          |||,
        ),
        // Rows that cannot be parsed (a bad msid or timestamp) are left out: those nodes
        // are not watched at all.
        alert(
          'MshostExporterRowsSkipped',
          'max without (%s) (%s) > 0' % [without, p.m('cloudstack_mshost_rows_skipped', cfg.mshostSelector)],
          'mshost_exporter skips {{ $value }} row(s) of the mshost table of {{ $labels.target }}',
          |||
            The last read of cloud.mshost of target {{ $labels.target }} had {{ $value }} row(s) the
            exporter could not parse (a bad msid or timestamp); they are left out, so those nodes
            are not watched. The exporter's log names each row.
          |||,
        ),
      ],
    }],
  },
}
