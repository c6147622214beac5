// Recording rules the dashboard reads. Like the alerts, they aggregate the replica
// labels away (two exporter replicas count each node once) and keep every other label,
// those a scrape config adds included.
local p = import '../lib/promql.libsonnet';
local byCode = std.sort(import '../verdicts.libsonnet', function(v) v.code);

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
        // One number per node for the dashboard's verdict timeline: each verdict's code
        // (verdicts.libsonnet; dashboards/ maps them back to names and colours).
        {
          record: 'node:cloudstack_mshost_verdict:code',
          expr: 'max without (verdict, %s) (\n%s\n)\n' % [without, std.join('\n', [
            '  %s(%s == 1) * %d' % [if i == 0 then '   ' else 'or ', p.m('cloudstack_mshost_verdict', cfg.mshostSelector, 'verdict="%s"' % byCode[i].name), byCode[i].code]
            for i in std.range(0, std.length(byCode) - 1)
          ])],
        },
      ],
    }],
  },
}
