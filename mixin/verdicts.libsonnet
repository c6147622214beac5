// The verdicts (docs/verdicts.md, "Order of decision"), one entry each. The mixin
// derives from this list the verdicts' alerts (alerts/cloudstack.libsonnet) with their
// default `for` and severity (config.libsonnet), the codes of the recording rule
// node:cloudstack_mshost_verdict:code (rules/rules.libsonnet) and the dashboard's
// colours and value mappings.
//
//   name   the verdict, as in cloudstack_mshost_verdict{verdict="..."}
//   code   its number in node:cloudstack_mshost_verdict:code. A new verdict gets a new
//          code, so recorded history keeps its meaning.
//   color  on the dashboard
//   alert  only for a verdict that pages: its name, severity and `for` (the same
//          defaults as the built-in evaluator's, exporter/model/verdict.h) and its
//          summary and description, Go templates saying what the built-in evaluator's
//          texts say, from what Prometheus has.
//
// The verdicts that page come first, in the order of their alerts in the rules file.
// The sentence that says whether CloudStack will ever set the row Down by itself
// (docs/verdicts.md, "What peers do to a silent node's row"): only a live peer (claims
// running and not stale: verdict ok or up_unreachable, state not Down) running 4.20.1
// or later does, and only for a row in state Up. The same text as the built-in
// evaluator's. Needs $sel (the scrape's series) and $node (the node's) in scope.
local willCloudStackClearIt = |||
  {{ $peers := printf "((cloudstack_mshost_verdict{%s,verdict=~'ok|up_unreachable'} == 1) unless on (msid) (cloudstack_mshost_state{%s,state='Down'} == 1) unless on (msid) cloudstack_mshost_info{%s,msid='%s'})" $sel $sel $sel $labels.msid -}}
  {{ $v4201 := "4[.]20[.]0*[1-9].*|4[.](2[1-9]|[3-9][0-9]|[1-9][0-9][0-9]+)([^0-9].*)?|([5-9]|[1-9][0-9]+)[.][0-9].*" -}}
  {{ if not (printf "cloudstack_mshost_state{%s,state='Up'} == 1" $node | query) -}}
  CloudStack will never set this row Down by itself: peers clear only rows in state Up.
  {{- else if printf "%s and on (msid) cloudstack_mshost_info{%s,version=~'%s'}" $peers $sel $v4201 | query -}}
  A live peer running 4.20.1 or later will set this row Down about 150 s after its last heartbeat; until then other nodes and load balancers trust it.
  {{- else if not (query $peers) -}}
  CloudStack will never set this row Down by itself: no other management server is running.
  {{- else if printf "%s unless on (msid) cloudstack_mshost_info{%s,version=~'[0-9]+[.][0-9].*'}" $peers $sel | query -}}
  CloudStack may not set this row Down by itself: only peers running 4.20.1 or later do, and the live peers' versions are unknown.
  {{- else -}}
  CloudStack will never set this row Down by itself: the live peers run versions before 4.20.1, which leave a dead node's row as it is.
  {{- end }}
|||;

// The series of one target in template queries: the replicas' copies are alike, so
// `first` of any of them will do.
local selectors = |||
  {{ $sel := printf "job='%s',target='%s'" $labels.job $labels.target }}{{ $node := printf "%s,msid='%s'" $sel $labels.msid -}}
|||;

[
  {
    name: 'up_not_running',
    code: 4,
    color: 'red',
    alert: {
      name: 'CloudStackMgmtServerUpNotRunning',
      severity: 'critical',
      'for': '0s',
      summary: 'Management server {{ or $labels.name $labels.msid }} is marked running but is gone',
      description: selectors + |||
        The cloud.mshost row of {{ or $labels.name "(unnamed)" }} (msid {{ $labels.msid }}, target
        {{ $labels.target }}) says {{ with printf "cloudstack_mshost_state{%s} == 1" $node | query }}{{ . | first | label "state" }}{{ else }}it runs{{ end }}, but
        {{ with printf "cloudstack_mshost_heartbeat_silence_seconds{%s}" $node | query }}its heartbeat has been silent for {{ . | first | value | humanizeDuration }}{{ with printf "cloudstack_mshost_dead_after_seconds{%s}" $node | query }} (dead_after {{ . | first | value | humanizeDuration }}){{ end }}{{ else }}it has never heartbeated (last_update is NULL){{ end }}
        and {{ with printf "cloudstack_mshost_probe_success{%s}" $node | query }}nothing answers its liveness probe{{ else }}probing is off{{ end }}.
        Other nodes, load balancers and admins still trust it (apache/cloudstack#9722).
      ||| + willCloudStackClearIt,
    },
  },
  {
    name: 'up_heartbeat_stale',
    code: 3,
    color: 'orange',
    alert: {
      name: 'CloudStackMgmtServerHeartbeatStale',
      severity: 'warning',
      'for': '1m',
      summary: 'Management server {{ or $labels.name $labels.msid }} answers but does not heartbeat',
      description: selectors + |||
        {{ or $labels.name "(unnamed)" }} (msid {{ $labels.msid }}, target {{ $labels.target }}) is marked
        {{ with printf "cloudstack_mshost_state{%s} == 1" $node | query }}{{ . | first | label "state" }}{{ else }}running{{ end }}
        and answers its liveness probe, but
        {{ with printf "cloudstack_mshost_heartbeat_silence_seconds{%s}" $node | query }}has not written a heartbeat for {{ . | first | value | humanizeDuration }}{{ with printf "cloudstack_mshost_stale_after_seconds{%s}" $node | query }} (stale_after {{ . | first | value | humanizeDuration }}){{ end }}{{ else }}has never written a heartbeat (last_update is NULL){{ end }}:
        the process hangs, cannot reach the database, or is shutting down.
      ||| + willCloudStackClearIt,
    },
  },
  {
    name: 'up_unreachable',
    code: 2,
    color: 'yellow',
    alert: {
      name: 'CloudStackMgmtServerUnreachable',
      severity: 'warning',
      'for': '1m',
      summary: 'Management server {{ or $labels.name $labels.msid }} heartbeats but cannot be reached',
      description: |||
        {{ or $labels.name "(unnamed)" }} (msid {{ $labels.msid }}, target {{ $labels.target }}) is marked
        running and keeps heartbeating, but the exporter's liveness probe fails: a firewall,
        a wrong probe address (service_ip is often 127.0.0.1) or a cluster port that
        stopped listening.
      |||,
    },
  },
  {
    name: 'down_but_running',
    code: 1,
    color: 'orange',
    alert: {
      name: 'CloudStackMgmtServerDownButRunning',
      severity: 'warning',
      'for': '1m',
      summary: 'Management server {{ or $labels.name $labels.msid }} is marked Down but still answers',
      description: |||
        The cloud.mshost row of {{ or $labels.name "(unnamed)" }} (msid {{ $labels.msid }}, target
        {{ $labels.target }}) says Down, but something still answers its liveness probe:
        a process that did not stop, or another service on its cluster port.
      |||,
    },
  },
  // stop_unfinished is only judged for ReadyToShutDown and ShuttingDown rows, and peers
  // clear only rows in state Up: CloudStack never clears this row.
  {
    name: 'stop_unfinished',
    code: 8,
    color: 'orange',
    alert: {
      name: 'CloudStackMgmtServerStopUnfinished',
      severity: 'warning',
      'for': '1m',
      summary: 'Management server {{ or $labels.name $labels.msid }} stopped without finishing its stop',
      description: selectors + |||
        The cloud.mshost row of {{ or $labels.name "(unnamed)" }} (msid {{ $labels.msid }}, target
        {{ $labels.target }}) says {{ with printf "cloudstack_mshost_state{%s} == 1" $node | query }}{{ . | first | label "state" }}{{ else }}it is stopping{{ end }}
        (the operator asked it to stop), but
        {{ with printf "cloudstack_mshost_heartbeat_silence_seconds{%s}" $node | query }}its heartbeat has been silent for {{ . | first | value | humanizeDuration }}{{ with printf "cloudstack_mshost_dead_after_seconds{%s}" $node | query }} (dead_after {{ . | first | value | humanizeDuration }}){{ end }}{{ else }}it has never heartbeated (last_update is NULL){{ end }}
        and {{ with printf "cloudstack_mshost_probe_success{%s}" $node | query }}nothing answers its liveness probe{{ else }}probing is off{{ end }}:
        the process is gone but its stop never wrote Down (apache/cloudstack#9722).
        CloudStack will never set this row Down by itself: peers clear only rows in state Up.
      |||,
    },
  },
  { name: 'ok', code: 0, color: 'green' },
  { name: 'unknown', code: 5, color: 'text' },
  // No fault of the node: planned work, and an old identity of a live host.
  { name: 'maintenance', code: 6, color: 'blue' },
  { name: 'superseded', code: 7, color: 'purple' },
]
