// The alerts about CloudStack: the same names, severities and meanings as the
// evaluator built into the exporter (docs/alerting.md, "The rules"). One per verdict
// that pages, from verdicts.libsonnet, and the alerts that are not about a verdict.
//
// High availability: two exporter replicas scraped by one Prometheus give every series
// twice, differing only in the replica labels (_config.replicaLabels, `instance` by
// default). Every rule aggregates those away with `max without (...)`, keeping every
// other label (job, target, and labels the scrape config adds such as cloudstack), so a
// pair raises one alert per node, and routing on a scrape label reaches every alert.
//
// Database outages: the exporter sets cloudstack_mshost_up to 0 and keeps exposing
// every node series with the values of its last successful read. No node alert may fire
// anew and none may resolve until the database answers again. Each node rule therefore
// has two halves:
//   1. the condition, as judged by the replicas that read the database now
//      (cloudstack_mshost_up == 1 in the same scrape);
//   2. while no replica reads it, the alert stays exactly as it was: firing if it was
//      firing at the previous evaluation (the ALERTS series), nothing otherwise, so a
//      pending alert starts its `for` again once the database is back.
// Half 2 matters even on frozen data: `for` clocks keep running and increase() windows
// keep sliding, so without it a pending alert would fire and Flapping would resolve.
local p = import '../lib/promql.libsonnet';
local verdicts = import '../verdicts.libsonnet';

{
  local cfg = self._config,
  local without = p.list(cfg.replicaLabels),
  local up = p.m('cloudstack_mshost_up', cfg.mshostSelector),

  // The expression of a node alert: `condition` holds per scrape (one replica's view)
  // and returns the node's series; `series` is the same series without the condition,
  // kept while the alert fires and no replica reads the database. `extra` lists the
  // labels of the series beyond the node's (e.g. verdict).
  local nodeAlertExpr(name, condition, series, extra=[]) =
    local ignoring = p.list(cfg.nodeLabels + extra);
    |||
      max without (%(without)s) (
          %(condition)s
        and ignoring (%(ignoring)s) %(up)s == 1
      )
      or
      (
          max without (%(without)s) (%(series)s)
        and ignoring (alertname, alertstate, severity) ALERTS{alertname="%(name)s", alertstate="firing"}
        and ignoring (%(ignoring)s) (max without (%(without)s) (%(up)s) == 0)
      )
    ||| % { without: without, condition: condition, series: series, ignoring: ignoring, up: up, name: name },

  local verdictAlert(name, verdict) =
    local series = p.m('cloudstack_mshost_verdict', cfg.mshostSelector, 'verdict="%s"' % verdict);
    nodeAlertExpr(name, series + ' == 1', series, ['verdict']),

  local alert(name, expr, summary, description, comment=null) = {
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
  },

  prometheusAlerts+:: {
    groups+: [{
      name: 'cloudstack-mshost',
      // The verdicts' alerts (verdicts.libsonnet), then the others.
      rules: [
        alert(v.alert.name, verdictAlert(v.alert.name, v.name), v.alert.summary, v.alert.description)
        for v in verdicts
        if std.objectHas(v, 'alert')
      ] + [
        // floor(): increase() extrapolates to the window's edges, so 3 restarts can read
        // as 3.05; the contract says "more than 3 restarts".
        local restarts = 'floor(increase(%s[%s]))' % [p.m('cloudstack_mshost_restarts_total', cfg.mshostSelector), cfg.flappingWindow];
        alert(
          'CloudStackMgmtServerFlapping',
          nodeAlertExpr('CloudStackMgmtServerFlapping', '%s > %d' % [restarts, cfg.flappingRestarts], restarts),
          'Management server {{ or $labels.name $labels.msid }} keeps restarting',
          |||
            {{ or $labels.name "(unnamed)" }} (msid {{ $labels.msid }}, target {{ $labels.target }}) started
            more than %(n)d times within %(w)s (a new runid each time), {{ with printf "cloudstack_mshost_restarts_total{job='%%s',target='%%s',msid='%%s'}" $labels.job $labels.target $labels.msid | query }}{{ . | first | value }}{{ end }}
            times since the exporter started: a crash loop, an OOM kill or a watchdog restarting it.
          ||| % { n: cfg.flappingRestarts, w: if cfg.flappingWindow == '15m' then '15 minutes' else cfg.flappingWindow },
        ),
        // Running = claims running (in service or stopping) and heartbeats (not stale),
        // counted by the exporter: a node that heartbeats runs even when every probe
        // fails, so losing the exporter's route to the nodes never pages this. Fires on
        // a table with no current row too. The series exists from the first successful
        // read and is frozen during a database outage, so an outage neither raises nor
        // clears it. The replicas that read the database decide; when none does, the
        // frozen count.
        local running = p.m('cloudstack_mshost_running_nodes', cfg.mshostSelector);
        alert(
          'CloudStackNoRunningMgmtServer',
          |||
            max without (%(without)s) (%(running)s and %(up)s == 1) == 0
            or
            (
                max without (%(without)s) (%(running)s) == 0
              and (max without (%(without)s) (%(up)s) == 0)
            )
          ||| % { without: without, running: running, up: up },
          'No CloudStack management server of {{ $labels.target }} is running',
          |||
            {{ $sel := printf "job='%s',target='%s'" $labels.job $labels.target -}}
            {{ with printf "cloudstack_mshost_verdict{%s} == 1" $sel | query -}}
            No management server of target {{ $labels.target }} both claims to run and heartbeats
            ({{ range $i, $n := printf "max by (msid, name, verdict) (cloudstack_mshost_verdict{%s} == 1) * on (msid) group_left (state) max by (msid, state) (cloudstack_mshost_state{%s} == 1)" $sel $sel | query | sortByLabel "msid" }}{{ if $i }}; {{ end }}{{ or $n.Labels.name $n.Labels.msid }}: state {{ $n.Labels.state }}, verdict {{ $n.Labels.verdict }}{{ end }}):
            the CloudStack API and the cluster are down, or run on a node that the mshost table does not show.
            {{- else -}}
            The mshost table of target {{ $labels.target }} has no current rows: nothing is known to run.
            {{- end }}
            {{- if not (printf "cloudstack_mshost_up{%s} == 1" $sel | query) }} Judged on the last successful read: the database is unreachable.{{ end }}
          |||,
        ),
        alert(
          'CloudStackMshostSourceDown',
          // Only when no replica reads the database: one that does still watches.
          'max without (%s) (%s) == 0' % [without, up],
          'The mshost table of {{ $labels.target }} cannot be read',
          |||
            The exporter has not read cloud.mshost of target {{ $labels.target }}
            {{ with printf "time() - max(cloudstack_mshost_last_poll_success_timestamp_seconds{job='%s',target='%s'}) > 0 < time()" $labels.job $labels.target | query }}for {{ . | first | value | humanizeDuration }}{{ else }}since it started{{ end }}.
            Node alerts keep the state they had at the last successful read until it answers again.
          |||,
        ),
        // Not an alert of the built-in evaluator (it cannot see itself): Prometheus gets
        // no metrics from an exporter, or scrapes no exporter at all. One alert per job
        // and target, whichever replicas fail; the description names them.
        local upExporter = p.m('up', cfg.exporterSelector);
        alert(
          'CloudStackMshostExporterDown',
          |||
            count without (%(without)s) (%(up)s == 0)
            or
            absent(%(up)s)
          ||| % { without: without, up: upExporter },
          'Prometheus gets no metrics from mshost_exporter{{ with $labels.target }} for target {{ . }}{{ end }}',
          |||
            {{ if $labels.job }}Scraping {{ with printf "up{job='%s',target='%s'} == 0" $labels.job $labels.target | query }}{{ range $i, $s := . }}{{ if $i }}, {{ end }}{{ $s.Labels.instance }}{{ end }}{{ end }} (job {{ $labels.job }}) fails:
            the exporter is down, unreachable, or does not know target {{ $labels.target }}.{{ else }}No
            job named cloudstack-mshost* has any target: the scrape config is missing.{{ end }}
            Nobody watches the mshost table meanwhile, unless another replica does.
          |||,
        ),
      ],
    }],
  },
}
