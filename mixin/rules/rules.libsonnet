// Recording rules the dashboard reads. Like the alerts, they aggregate the replica
// labels away (two exporter replicas count each node once) and keep every other label,
// those a scrape config adds included.
local p = import '../lib/promql.libsonnet';

{
  local cfg = self._config,
  local without = p.list(cfg.replicaLabels),
  local nodes = p.list(cfg.nodeLabels),
  local m(metric, extra='') = 'max without (%s) (%s)' % [without, p.m(metric, cfg.mshostSelector, extra)],

  prometheusRules+:: {
    groups+: [{
      name: 'cloudstack-mshost.recording',
      rules: [
        // Nodes per verdict and per state, for each target; 0 where no node has it.
        {
          record: 'target_verdict:cloudstack_mshost_nodes:count',
          expr: 'sum without (%s) (%s)' % [nodes, m('cloudstack_mshost_verdict')],
        },
        {
          record: 'target_state:cloudstack_mshost_nodes:count',
          expr: 'sum without (%s) (%s)' % [nodes, m('cloudstack_mshost_state')],
        },
        // Nodes that claim to run (state other than Down) and are ok: the ones that work.
        {
          record: 'target:cloudstack_mshost_running_ok_nodes:count',
          expr: |||
            count without (%(nodes)s, verdict) (
                %(ok)s == 1
              and ignoring (state, verdict)
                %(notDown)s == 1
            )
            or
            0 * %(up)s
          ||| % {
            nodes: nodes,
            ok: m('cloudstack_mshost_verdict', 'verdict="ok"'),
            notDown: m('cloudstack_mshost_state', 'state!="Down"'),
            up: m('cloudstack_mshost_up'),
          },
        },
        // One number per node for the dashboard's verdict timeline:
        // 0 ok, 1 down_but_running, 2 up_unreachable, 3 up_heartbeat_stale,
        // 4 up_not_running, 5 unknown, 6 maintenance, 7 superseded, 8 stop_unfinished
        // (dashboards/ maps them back to names and colours). New verdicts get new codes,
        // so recorded history keeps its meaning.
        {
          record: 'node:cloudstack_mshost_verdict:code',
          expr: 'max without (verdict, %s) (\n%s\n)\n' % [without, std.join('\n', [
            '  %s(%s == 1) * %d' % [if i == 0 then '   ' else 'or ', p.m('cloudstack_mshost_verdict', cfg.mshostSelector, 'verdict="%s"' % v[0]), v[1]]
            for i in std.range(0, 8)
            for v in [[['ok', 0], ['down_but_running', 1], ['up_unreachable', 2], ['up_heartbeat_stale', 3], ['up_not_running', 4], ['unknown', 5], ['maintenance', 6], ['superseded', 7], ['stop_unfinished', 8]][i]]
          ])],
        },
      ],
    }],
  },
}
