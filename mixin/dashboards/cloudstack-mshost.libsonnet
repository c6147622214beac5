// The Grafana dashboard (dashboards/cloudstack-mshost.json). Panels about the
// management servers aggregate the replica labels away (two exporters show each node
// once) and filter on the job, target and scrape-label variables; the exporter row
// shows each replica and honours $instance. Queries are written with %(t)s (the
// target series of the variables), %(ti)s (the same, one replica), %(e)s (the
// exporter's series) and %(w)s (the replica labels), filled in by q().
local p = import '../lib/promql.libsonnet';
// Colours and value mappings: one per verdict, in the order of their codes.
local verdictsByCode = std.sort(import '../verdicts.libsonnet', function(v) v.code);

{
  local cfg = self._config,
  local scrapeMatchers = std.join('', [', %s=~"$%s"' % [l, l] for l in cfg.dashboardScrapeLabels]),
  local values = {
    t: '%s, job=~"$job", target=~"$target"%s' % [cfg.mshostSelector, scrapeMatchers],
    ti: self.t + ', instance=~"$instance"',
    e: '%s, job=~"$job", instance=~"$instance"' % cfg.exporterSelector,
    w: p.list(cfg.replicaLabels),
    mshostSelector: cfg.mshostSelector,
    exporterSelector: cfg.exporterSelector,
    scrapeMatchers: scrapeMatchers,
  },
  local q(template) = template % values,
  local DS = { type: 'prometheus', uid: '${datasource}' },

  // One variable per label the scrape configs add (cloudstack="prod-eu"): series
  // without the label match its "All".
  local scrapeVariables = [
    local definition = q('label_values(cloudstack_mshost_up{%(mshostSelector)s, job=~"$job"}, ' + l + ')');
    {
      type: 'query',
      name: l,
      label: l,
      datasource: DS,
      definition: definition,
      query: { query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
      refresh: 2,
      sort: 1,
      multi: true,
      includeAll: true,
      allValue: '.*',
      current: { selected: true, text: ['All'], value: ['$__all'] },
      options: [],
      hide: 0,
    }
    for l in cfg.dashboardScrapeLabels
  ],

  // What grafana.com's import checks before it offers the dashboard.
  local requires = [
    { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.4.0' },
    { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
  ] + [
    { type: 'panel', id: t, name: t, version: '' }
    for t in ['bargauge', 'stat', 'state-timeline', 'table', 'timeseries']
  ],

  grafanaDashboards+:: {
    'cloudstack-mshost.json': {
      __inputs: [],
      __requires: requires,
      uid: cfg.dashboardUID,
      title: cfg.dashboardTitle,
      description: 'Does every CloudStack management server that cloud.mshost calls running really run? Metrics of mshost_exporter; alerts of alerts/cloudstack-mshost.rules.yml.',
      tags: cfg.dashboardTags,
      schemaVersion: 39,
      version: 1,
      editable: true,
      graphTooltip: 1,
      refresh: cfg.dashboardRefresh,
      time: {
        from: 'now-1h',
        to: 'now',
      },
      timepicker: {},
      timezone: cfg.dashboardTimezone,
      fiscalYearStartMonth: 0,
      liveNow: false,
      links: [],
      annotations: {
        list: [
          {
            builtIn: 1,
            datasource: {
              type: 'grafana',
              uid: '-- Grafana --',
            },
            enable: true,
            hide: true,
            iconColor: 'rgba(0, 211, 255, 1)',
            name: 'Annotations & Alerts',
            type: 'dashboard',
          },
          {
            name: 'Restarts',
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            enable: true,
            hide: false,
            iconColor: 'orange',
            expr: q('max without (%(w)s) (changes(cloudstack_mshost_restarts_total{%(t)s}[2m]) > 0)'),
            step: '1m',
            titleFormat: 'restart',
            textFormat: '{{name}} ({{msid}}, {{target}}) restarted',
            useValueForTime: false,
          },
          {
            name: 'Alerts',
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            enable: true,
            hide: false,
            iconColor: 'red',
            expr: q('ALERTS{alertstate="firing", alertname=~"CloudStack.+|MshostExporter.+", target=~"$target"}'),
            step: '1m',
            titleFormat: '{{alertname}}',
            textFormat: '{{target}} {{name}} {{msid}}',
            useValueForTime: false,
          },
        ],
      },
      templating: {
        list: [
          {
            type: 'datasource',
            name: 'datasource',
            label: 'Data source',
            query: 'prometheus',
            current: {},
            hide: 0,
            includeAll: false,
            multi: false,
            options: [],
            refresh: 1,
            regex: '',
          },
          {
            type: 'query',
            name: 'job',
            label: 'Job',
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            definition: q('label_values(up{%(exporterSelector)s}, job)'),
            query: {
              query: q('label_values(up{%(exporterSelector)s}, job)'),
              refId: 'PrometheusVariableQueryEditor-VariableQuery',
            },
            refresh: 2,
            sort: 1,
            multi: true,
            includeAll: true,
            allValue: '.*',
            current: {
              selected: true,
              text: [
                'All',
              ],
              value: [
                '$__all',
              ],
            },
            options: [],
            hide: 0,
          },
        ] + scrapeVariables + [
          {
            type: 'query',
            name: 'target',
            label: 'Target',
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            definition: q('label_values(cloudstack_mshost_up{%(mshostSelector)s, job=~"$job"%(scrapeMatchers)s}, target)'),
            query: {
              query: q('label_values(cloudstack_mshost_up{%(mshostSelector)s, job=~"$job"%(scrapeMatchers)s}, target)'),
              refId: 'PrometheusVariableQueryEditor-VariableQuery',
            },
            refresh: 2,
            sort: 1,
            multi: true,
            includeAll: true,
            allValue: '.*',
            current: {
              selected: true,
              text: [
                'All',
              ],
              value: [
                '$__all',
              ],
            },
            options: [],
            hide: 0,
          },
          {
            type: 'query',
            name: 'instance',
            label: 'Instance (exporter row)',
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            definition: q('label_values(up{%(exporterSelector)s, job=~"$job"}, instance)'),
            query: {
              query: q('label_values(up{%(exporterSelector)s, job=~"$job"}, instance)'),
              refId: 'PrometheusVariableQueryEditor-VariableQuery',
            },
            refresh: 2,
            sort: 1,
            multi: true,
            includeAll: true,
            allValue: '.*',
            current: {
              selected: true,
              text: [
                'All',
              ],
              value: [
                '$__all',
              ],
            },
            options: [],
            hide: 0,
          },
          {
            type: 'textbox',
            name: 'probe_timeout',
            label: 'probe timeout (s)',
            query: '1',
            current: {
              text: '1',
              value: '1',
            },
            hide: 0,
            options: [
              {
                selected: true,
                text: '1',
                value: '1',
              },
            ],
            description: "Your targets' probe.timeout in seconds: drawn on Probe duration",
          },
        ],
      },
      panels: [
        {
          type: 'row',
          title: 'Cluster overview',
          id: 1,
          collapsed: false,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 1,
            w: 24,
            x: 0,
            y: 0,
          },
          panels: [],
        },
        {
          type: 'stat',
          title: 'Running nodes',
          description: 'cloudstack_mshost_running_nodes: nodes that claim to run (in service or stopping) and heartbeat (not stale), whether or not the exporter can reach them (docs/verdicts.md, "Running"). 0 fires CloudStackNoRunningMgmtServer.',
          id: 22,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 5,
            w: 4,
            x: 0,
            y: 1,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max without (%(w)s) (cloudstack_mshost_running_nodes{%(t)s})'),
              legendFormat: '{{target}}',
              range: false,
              instant: true,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              thresholds: {
                mode: 'absolute',
                steps: [
                  {
                    color: 'red',
                    value: null,
                  },
                  {
                    color: 'green',
                    value: 1,
                  },
                ],
              },
              unit: 'none',
              decimals: 0,
            },
            overrides: [],
          },
          options: {
            colorMode: 'background',
            graphMode: 'none',
            textMode: 'value_and_name',
            reduceOptions: {
              calcs: [
                'lastNotNull',
              ],
              fields: '',
              values: false,
            },
          },
        },
        {
          type: 'stat',
          title: 'Running and ok nodes',
          description: 'Nodes that claim to run (in service or stopping) and whose verdict is ok: the ones that work fully. Running nodes counts those that heartbeat, reachable or not.',
          id: 2,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 5,
            w: 4,
            x: 4,
            y: 1,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('target:cloudstack_mshost_running_ok_nodes:count{%(t)s}'),
              legendFormat: '{{target}}',
              range: false,
              instant: true,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              thresholds: {
                mode: 'absolute',
                steps: [
                  {
                    color: 'red',
                    value: null,
                  },
                  {
                    color: 'green',
                    value: 1,
                  },
                ],
              },
              unit: 'none',
              decimals: 0,
            },
            overrides: [],
          },
          options: {
            colorMode: 'background',
            graphMode: 'none',
            textMode: 'value_and_name',
            reduceOptions: {
              calcs: [
                'lastNotNull',
              ],
              fields: '',
              values: false,
            },
          },
        },
        {
          type: 'stat',
          title: 'Database read',
          description: 'cloudstack_mshost_up: 1 if the last read of the mshost table succeeded. While it is 0 every node series keeps the values of the last successful read.',
          id: 3,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 5,
            w: 4,
            x: 8,
            y: 1,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max without (%(w)s) (cloudstack_mshost_up{%(t)s})'),
              legendFormat: '{{target}}',
              range: false,
              instant: true,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              mappings: [
                {
                  type: 'value',
                  options: {
                    '0': {
                      text: 'DOWN',
                      color: 'red',
                      index: 0,
                    },
                    '1': {
                      text: 'ok',
                      color: 'green',
                      index: 1,
                    },
                  },
                },
              ],
              thresholds: {
                mode: 'absolute',
                steps: [
                  {
                    color: 'red',
                    value: null,
                  },
                  {
                    color: 'green',
                    value: 1,
                  },
                ],
              },
            },
            overrides: [],
          },
          options: {
            colorMode: 'background',
            graphMode: 'none',
            textMode: 'value_and_name',
            reduceOptions: {
              calcs: [
                'lastNotNull',
              ],
              fields: '',
              values: false,
            },
          },
        },
        {
          type: 'bargauge',
          title: 'Nodes per verdict',
          description: 'How many nodes have each verdict (docs/verdicts.md).',
          id: 4,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 5,
            w: 6,
            x: 12,
            y: 1,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('sum by (verdict) (target_verdict:cloudstack_mshost_nodes:count{%(t)s})'),
              legendFormat: '{{verdict}}',
              range: false,
              instant: true,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              decimals: 0,
              min: 0,
              color: {
                mode: 'thresholds',
              },
              thresholds: {
                mode: 'absolute',
                steps: [
                  {
                    color: 'blue',
                    value: null,
                  },
                ],
              },
            },
            overrides: [
              {
                matcher: {
                  id: 'byName',
                  options: v.name,
                },
                properties: [
                  {
                    id: 'color',
                    value: {
                      mode: 'fixed',
                      fixedColor: v.color,
                    },
                  },
                ],
              }
              for v in verdictsByCode
            ],
          },
          options: {
            orientation: 'horizontal',
            displayMode: 'basic',
            showUnfilled: true,
            reduceOptions: {
              calcs: [
                'lastNotNull',
              ],
              fields: '',
              values: false,
            },
          },
        },
        {
          type: 'bargauge',
          title: 'Nodes per state',
          description: 'The state column of cloud.mshost. Every state but Down claims the node runs.',
          id: 5,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 5,
            w: 6,
            x: 18,
            y: 1,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('sum by (state) (target_state:cloudstack_mshost_nodes:count{%(t)s})'),
              legendFormat: '{{state}}',
              range: false,
              instant: true,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              decimals: 0,
              min: 0,
              color: {
                mode: 'fixed',
                fixedColor: 'blue',
              },
            },
            overrides: [
              {
                matcher: {
                  id: 'byName',
                  options: 'Down',
                },
                properties: [
                  {
                    id: 'color',
                    value: {
                      mode: 'fixed',
                      fixedColor: 'text',
                    },
                  },
                ],
              },
            ],
          },
          options: {
            orientation: 'horizontal',
            displayMode: 'basic',
            showUnfilled: true,
            reduceOptions: {
              calcs: [
                'lastNotNull',
              ],
              fields: '',
              values: false,
            },
          },
        },
        {
          type: 'row',
          title: 'Per node',
          id: 6,
          collapsed: false,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 1,
            w: 24,
            x: 0,
            y: 6,
          },
          panels: [],
        },
        {
          type: 'table',
          title: 'Nodes',
          description: "One row per node of cloud.mshost (rows with removed set are not nodes). Heartbeat silence is what the verdicts use: the raw age corrected by the node's estimated clock offset; stale_after and dead_after are the thresholds in force, which follow the observed heartbeat interval unless configured (docs/verdicts.md). The interval is empty until learned.",
          id: 7,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 9,
            w: 24,
            x: 0,
            y: 7,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max by (job, target, msid, name, version) (cloudstack_mshost_info{%(t)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'B',
              expr: q('max by (job, target, msid, name, state) (cloudstack_mshost_state{%(t)s} == 1)'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'C',
              expr: q('max by (job, target, msid, name, verdict) (cloudstack_mshost_verdict{%(t)s} == 1)'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'D',
              expr: q('max by (job, target, msid, name) (cloudstack_mshost_heartbeat_silence_seconds{%(t)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'E',
              expr: q('max by (job, target, msid, name) (cloudstack_mshost_heartbeat_age_seconds{%(t)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'F',
              expr: q('max by (job, target, msid, name) (cloudstack_mshost_probe_success{%(t)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'G',
              expr: q('max by (job, target, msid, name) (cloudstack_mshost_restarts_total{%(t)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'H',
              expr: q('max by (job, target, msid, name) (cloudstack_mshost_peer_alerts{%(t)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'I',
              expr: q('max by (job, target, msid, name) (cloudstack_mshost_heartbeat_interval_seconds{%(t)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'J',
              expr: q('max by (job, target, msid, name) (cloudstack_mshost_stale_after_seconds{%(t)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'K',
              expr: q('max by (job, target, msid, name) (cloudstack_mshost_dead_after_seconds{%(t)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              custom: {
                align: 'auto',
                cellOptions: {
                  type: 'auto',
                },
              },
            },
            overrides: [
              {
                matcher: {
                  id: 'byName',
                  options: 'verdict',
                },
                properties: [
                  {
                    id: 'mappings',
                    value: [
                      {
                        type: 'value',
                        options: {
                          [v.name]: {
                            text: v.name,
                            color: v.color,
                            index: v.code,
                          }
                          for v in verdictsByCode
                        },
                      },
                    ],
                  },
                  {
                    id: 'custom.cellOptions',
                    value: {
                      type: 'color-background',
                    },
                  },
                ],
              },
              {
                matcher: {
                  id: 'byName',
                  options: 'state',
                },
                properties: [
                  {
                    id: 'mappings',
                    value: [
                      {
                        type: 'value',
                        options: {
                          Up: {
                            text: 'Up',
                            color: 'green',
                            index: 0,
                          },
                          Down: {
                            text: 'Down',
                            color: 'text',
                            index: 1,
                          },
                          '<NULL>': {
                            text: '<NULL>',
                            color: 'orange',
                            index: 2,
                          },
                          PreparingToShutDown: {
                            text: 'PreparingToShutDown',
                            color: 'yellow',
                            index: 3,
                          },
                          PreparingForShutDown: {
                            text: 'PreparingForShutDown',
                            color: 'yellow',
                            index: 4,
                          },
                          ReadyToShutDown: {
                            text: 'ReadyToShutDown',
                            color: 'yellow',
                            index: 5,
                          },
                          ShuttingDown: {
                            text: 'ShuttingDown',
                            color: 'orange',
                            index: 6,
                          },
                          PreparingForMaintenance: {
                            text: 'PreparingForMaintenance',
                            color: 'yellow',
                            index: 7,
                          },
                          Maintenance: {
                            text: 'Maintenance',
                            color: 'blue',
                            index: 8,
                          },
                        },
                      },
                    ],
                  },
                  {
                    id: 'custom.cellOptions',
                    value: {
                      type: 'color-text',
                    },
                  },
                ],
              },
              {
                matcher: {
                  id: 'byName',
                  options: 'Heartbeat silence',
                },
                properties: [
                  {
                    id: 'unit',
                    value: 's',
                  },
                  {
                    id: 'decimals',
                    value: 1,
                  },
                  {
                    id: 'thresholds',
                    value: {
                      mode: 'absolute',
                      steps: [
                        {
                          color: 'green',
                          value: null,
                        },
                        {
                          color: 'red',
                          value: 10,
                        },
                      ],
                    },
                  },
                  {
                    id: 'custom.cellOptions',
                    value: {
                      type: 'color-text',
                    },
                  },
                ],
              },
              {
                matcher: {
                  id: 'byName',
                  options: 'Heartbeat age (raw)',
                },
                properties: [
                  {
                    id: 'unit',
                    value: 's',
                  },
                  {
                    id: 'decimals',
                    value: 1,
                  },
                ],
              },
              {
                matcher: {
                  id: 'byName',
                  options: 'Probe',
                },
                properties: [
                  {
                    id: 'mappings',
                    value: [
                      {
                        type: 'value',
                        options: {
                          '0': {
                            text: 'failed',
                            color: 'red',
                            index: 0,
                          },
                          '1': {
                            text: 'ok',
                            color: 'green',
                            index: 1,
                          },
                        },
                      },
                    ],
                  },
                  {
                    id: 'custom.cellOptions',
                    value: {
                      type: 'color-text',
                    },
                  },
                ],
              },
              {
                matcher: {
                  id: 'byName',
                  options: 'Restarts',
                },
                properties: [
                  {
                    id: 'decimals',
                    value: 0,
                  },
                ],
              },
              {
                matcher: {
                  id: 'byName',
                  options: 'Peer alerts',
                },
                properties: [
                  {
                    id: 'decimals',
                    value: 0,
                  },
                ],
              },
              {
                matcher: {
                  id: 'byName',
                  options: 'Heartbeat interval',
                },
                properties: [
                  {
                    id: 'unit',
                    value: 's',
                  },
                  {
                    id: 'decimals',
                    value: 1,
                  },
                ],
              },
              {
                matcher: {
                  id: 'byName',
                  options: 'stale_after',
                },
                properties: [
                  {
                    id: 'unit',
                    value: 's',
                  },
                  {
                    id: 'decimals',
                    value: 1,
                  },
                ],
              },
              {
                matcher: {
                  id: 'byName',
                  options: 'dead_after',
                },
                properties: [
                  {
                    id: 'unit',
                    value: 's',
                  },
                  {
                    id: 'decimals',
                    value: 1,
                  },
                ],
              },
            ],
          },
          options: {
            showHeader: true,
            cellHeight: 'sm',
            sortBy: [
              {
                displayName: 'verdict',
                desc: true,
              },
            ],
          },
          transformations: [
            {
              id: 'merge',
              options: {},
            },
            {
              id: 'organize',
              options: {
                excludeByName: {
                  Time: true,
                  'Value #A': true,
                  'Value #B': true,
                  'Value #C': true,
                },
                indexByName: {
                  target: 0,
                  name: 2,
                  msid: 3,
                  state: 4,
                  verdict: 5,
                  'Value #D': 6,
                  'Value #I': 7,
                  'Value #J': 8,
                  'Value #K': 9,
                  'Value #E': 10,
                  'Value #F': 11,
                  version: 12,
                  'Value #G': 13,
                  'Value #H': 14,
                  job: 1,
                },
                renameByName: {
                  'Value #D': 'Heartbeat silence',
                  'Value #E': 'Heartbeat age (raw)',
                  'Value #F': 'Probe',
                  'Value #G': 'Restarts',
                  'Value #H': 'Peer alerts',
                  'Value #I': 'Heartbeat interval',
                  'Value #J': 'stale_after',
                  'Value #K': 'dead_after',
                },
              },
            },
          ],
        },
        {
          type: 'row',
          title: 'Heartbeats and probes',
          id: 8,
          collapsed: false,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 1,
            w: 24,
            x: 0,
            y: 16,
          },
          panels: [],
        },
        {
          type: 'timeseries',
          title: 'Heartbeat silence',
          description: "Seconds since each node's last heartbeat, corrected for its clock offset. Dashed: the thresholds in force (the largest of the target's nodes). Above stale_after a node is stale; above dead_after, with a failed probe, dead.",
          id: 9,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 8,
            w: 12,
            x: 0,
            y: 17,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max without (%(w)s) (cloudstack_mshost_heartbeat_silence_seconds{%(t)s})'),
              legendFormat: '{{name}} ({{msid}})',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'B',
              expr: q('max by (target) (cloudstack_mshost_stale_after_seconds{%(t)s})'),
              legendFormat: 'stale_after {{target}}',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'C',
              expr: q('max by (target) (cloudstack_mshost_dead_after_seconds{%(t)s})'),
              legendFormat: 'dead_after {{target}}',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              unit: 's',
              custom: {
                lineWidth: 1,
                fillOpacity: 0,
                spanNulls: false,
              },
            },
            overrides: [
              {
                matcher: {
                  id: 'byRegexp',
                  options: '^stale_after .*',
                },
                properties: [
                  {
                    id: 'color',
                    value: {
                      mode: 'fixed',
                      fixedColor: 'red',
                    },
                  },
                  {
                    id: 'custom.lineStyle',
                    value: {
                      fill: 'dash',
                      dash: [
                        10,
                        10,
                      ],
                    },
                  },
                  {
                    id: 'custom.lineWidth',
                    value: 2,
                  },
                ],
              },
              {
                matcher: {
                  id: 'byRegexp',
                  options: '^dead_after .*',
                },
                properties: [
                  {
                    id: 'color',
                    value: {
                      mode: 'fixed',
                      fixedColor: 'orange',
                    },
                  },
                  {
                    id: 'custom.lineStyle',
                    value: {
                      fill: 'dash',
                      dash: [
                        10,
                        10,
                      ],
                    },
                  },
                  {
                    id: 'custom.lineWidth',
                    value: 2,
                  },
                ],
              },
            ],
          },
          options: {
            legend: {
              displayMode: 'list',
              placement: 'bottom',
              showLegend: true,
            },
            tooltip: {
              mode: 'multi',
              sort: 'desc',
            },
          },
        },
        {
          type: 'timeseries',
          title: 'Probe duration',
          description: "How long each node's liveness probe took; a probe that reaches the timeout (dashed line, the probe_timeout variable) failed.",
          id: 10,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 8,
            w: 12,
            x: 12,
            y: 17,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max without (%(w)s) (cloudstack_mshost_probe_duration_seconds{%(t)s})'),
              legendFormat: '{{name}} ({{msid}})',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'B',
              expr: q('vector($probe_timeout)'),
              legendFormat: 'probe timeout',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              unit: 's',
              custom: {
                lineWidth: 1,
                fillOpacity: 0,
                spanNulls: false,
              },
            },
            overrides: [
              {
                matcher: {
                  id: 'byName',
                  options: 'probe timeout',
                },
                properties: [
                  {
                    id: 'color',
                    value: {
                      mode: 'fixed',
                      fixedColor: 'red',
                    },
                  },
                  {
                    id: 'custom.lineStyle',
                    value: {
                      fill: 'dash',
                      dash: [
                        10,
                        10,
                      ],
                    },
                  },
                  {
                    id: 'custom.lineWidth',
                    value: 2,
                  },
                ],
              },
            ],
          },
          options: {
            legend: {
              displayMode: 'list',
              placement: 'bottom',
              showLegend: true,
            },
            tooltip: {
              mode: 'multi',
              sort: 'desc',
            },
          },
        },
        {
          type: 'state-timeline',
          title: 'Verdict timeline',
          description: "Each node's verdict over time (recording rule node:cloudstack_mshost_verdict:code). maintenance and superseded page nobody.",
          id: 11,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 8,
            w: 24,
            x: 0,
            y: 25,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('node:cloudstack_mshost_verdict:code{%(t)s}'),
              legendFormat: '{{name}} ({{msid}})',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              mappings: [
                {
                  type: 'value',
                  options: {
                    [std.toString(v.code)]: {
                      text: v.name,
                      color: v.color,
                      index: v.code,
                    }
                    for v in verdictsByCode
                  },
                },
              ],
              color: {
                mode: 'thresholds',
              },
              thresholds: {
                mode: 'absolute',
                steps: [
                  {
                    color: 'text',
                    value: null,
                  },
                ],
              },
              custom: {
                fillOpacity: 80,
                lineWidth: 0,
              },
            },
            overrides: [],
          },
          options: {
            showValue: 'never',
            mergeValues: true,
            rowHeight: 0.8,
            alignValue: 'left',
            legend: {
              displayMode: 'list',
              placement: 'bottom',
              showLegend: true,
            },
          },
        },
        {
          type: 'timeseries',
          title: 'Node clock offset',
          description: "The exporter's estimate of how far each node's clock is behind (positive) or ahead of the database's: CloudStack writes last_update from the node's own clock.",
          id: 12,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 7,
            w: 8,
            x: 0,
            y: 33,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max without (%(w)s) (cloudstack_mshost_clock_offset_seconds{%(t)s})'),
              legendFormat: '{{name}} ({{msid}})',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              unit: 's',
              custom: {
                lineWidth: 1,
                fillOpacity: 0,
                spanNulls: false,
              },
            },
            overrides: [],
          },
          options: {
            legend: {
              displayMode: 'list',
              placement: 'bottom',
              showLegend: true,
            },
            tooltip: {
              mode: 'multi',
              sort: 'desc',
            },
          },
        },
        {
          type: 'timeseries',
          title: 'Restarts (15 minutes)',
          description: 'New runids seen per node in the last 15 minutes; more than 3 is CloudStackMgmtServerFlapping.',
          id: 13,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 7,
            w: 8,
            x: 8,
            y: 33,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max without (%(w)s) (floor(increase(cloudstack_mshost_restarts_total{%(t)s}[15m])))'),
              legendFormat: '{{name}} ({{msid}})',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              unit: 'none',
              decimals: 0,
              min: 0,
              custom: {
                drawStyle: 'line',
              },
              thresholds: {
                mode: 'absolute',
                steps: [
                  {
                    color: 'green',
                    value: null,
                  },
                  {
                    color: 'red',
                    value: 4,
                  },
                ],
              },
            },
            overrides: [],
          },
          options: {
            legend: {
              displayMode: 'list',
              placement: 'bottom',
              showLegend: true,
            },
            tooltip: {
              mode: 'multi',
              sort: 'desc',
            },
          },
        },
        {
          type: 'timeseries',
          title: 'Heartbeat interval and thresholds',
          description: 'The heartbeat interval the exporter observes per node (cluster.heartbeat.interval, learned from last_update progress; absent until learned) and the thresholds in force for it (docs/verdicts.md, "Thresholds follow the heartbeat").',
          id: 23,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 7,
            w: 8,
            x: 16,
            y: 33,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max without (%(w)s) (cloudstack_mshost_heartbeat_interval_seconds{%(t)s})'),
              legendFormat: 'interval {{name}} ({{msid}})',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'B',
              expr: q('max without (%(w)s) (cloudstack_mshost_stale_after_seconds{%(t)s})'),
              legendFormat: 'stale_after {{name}} ({{msid}})',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'C',
              expr: q('max without (%(w)s) (cloudstack_mshost_dead_after_seconds{%(t)s})'),
              legendFormat: 'dead_after {{name}} ({{msid}})',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              unit: 's',
              custom: {
                lineWidth: 1,
                fillOpacity: 0,
                spanNulls: false,
              },
            },
            overrides: [
              {
                matcher: {
                  id: 'byRegexp',
                  options: '^(stale|dead)_after .*',
                },
                properties: [
                  {
                    id: 'custom.lineStyle',
                    value: {
                      fill: 'dash',
                      dash: [
                        10,
                        10,
                      ],
                    },
                  },
                ],
              },
            ],
          },
          options: {
            legend: {
              displayMode: 'list',
              placement: 'bottom',
              showLegend: true,
            },
            tooltip: {
              mode: 'multi',
              sort: 'desc',
            },
          },
        },
        {
          type: 'row',
          title: 'Firing alerts',
          id: 14,
          collapsed: false,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 1,
            w: 24,
            x: 0,
            y: 40,
          },
          panels: [],
        },
        {
          type: 'table',
          title: 'Firing alerts (exporter)',
          description: "Alerts the exporter's built-in evaluator has firing (cloudstack_mshost_alert_firing).",
          id: 15,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 7,
            w: 12,
            x: 0,
            y: 41,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max without (%(w)s) (cloudstack_mshost_alert_firing{%(t)s} == 1)'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              custom: {
                align: 'auto',
              },
            },
            overrides: [
              {
                matcher: {
                  id: 'byName',
                  options: 'severity',
                },
                properties: [
                  {
                    id: 'mappings',
                    value: [
                      {
                        type: 'value',
                        options: {
                          critical: {
                            text: 'critical',
                            color: 'red',
                            index: 0,
                          },
                          warning: {
                            text: 'warning',
                            color: 'orange',
                            index: 1,
                          },
                        },
                      },
                    ],
                  },
                  {
                    id: 'custom.cellOptions',
                    value: {
                      type: 'color-text',
                    },
                  },
                ],
              },
            ],
          },
          options: {
            showHeader: true,
          },
          transformations: [
            {
              id: 'organize',
              options: {
                excludeByName: {
                  Time: true,
                  Value: true,
                  __name__: true,
                  job: true,
                },
                indexByName: {
                  alertname: 0,
                  severity: 1,
                  target: 2,
                  name: 3,
                  msid: 4,
                },
              },
            },
          ],
        },
        {
          type: 'table',
          title: 'Firing alerts (Prometheus rules)',
          description: 'Alerts of alerts/cloudstack-mshost.rules.yml that Prometheus has firing.',
          id: 16,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 7,
            w: 12,
            x: 12,
            y: 41,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('ALERTS{alertstate="firing", alertname=~"CloudStack.+|MshostExporter.+", target=~"$target"}'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              custom: {
                align: 'auto',
              },
            },
            overrides: [
              {
                matcher: {
                  id: 'byName',
                  options: 'severity',
                },
                properties: [
                  {
                    id: 'mappings',
                    value: [
                      {
                        type: 'value',
                        options: {
                          critical: {
                            text: 'critical',
                            color: 'red',
                            index: 0,
                          },
                          warning: {
                            text: 'warning',
                            color: 'orange',
                            index: 1,
                          },
                        },
                      },
                    ],
                  },
                  {
                    id: 'custom.cellOptions',
                    value: {
                      type: 'color-text',
                    },
                  },
                ],
              },
            ],
          },
          options: {
            showHeader: true,
          },
          transformations: [
            {
              id: 'organize',
              options: {
                excludeByName: {
                  Time: true,
                  Value: true,
                  __name__: true,
                  alertstate: true,
                  job: true,
                },
                indexByName: {
                  alertname: 0,
                  severity: 1,
                  target: 2,
                  name: 3,
                  msid: 4,
                },
              },
            },
          ],
        },
        {
          type: 'row',
          title: 'Exporter',
          id: 17,
          collapsed: false,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 1,
            w: 24,
            x: 0,
            y: 48,
          },
          panels: [],
        },
        {
          type: 'timeseries',
          title: 'Scrapes and database reads',
          description: "up: Prometheus could scrape the exporter. cloudstack_mshost_up: the exporter could read the target's mshost table. Per replica: the exporter row honours $instance.",
          id: 18,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 7,
            w: 8,
            x: 0,
            y: 49,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('up{%(e)s}'),
              legendFormat: 'scrape {{instance}}',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'B',
              expr: q('cloudstack_mshost_up{%(ti)s}'),
              legendFormat: 'database {{target}} {{instance}}',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              min: 0,
              max: 1,
              decimals: 0,
              custom: {
                lineInterpolation: 'stepAfter',
              },
            },
            overrides: [],
          },
          options: {
            legend: {
              displayMode: 'list',
              placement: 'bottom',
              showLegend: true,
            },
            tooltip: {
              mode: 'multi',
              sort: 'none',
            },
          },
        },
        {
          type: 'timeseries',
          title: 'Poll duration and age',
          description: 'How long one poll (query and probes) takes, and how long ago the last successful one was.',
          id: 19,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 7,
            w: 8,
            x: 8,
            y: 49,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('cloudstack_mshost_poll_duration_seconds{%(ti)s}'),
              legendFormat: 'poll duration {{target}} {{instance}}',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'B',
              expr: q('time() - cloudstack_mshost_last_poll_success_timestamp_seconds{%(ti)s}'),
              legendFormat: 'since last successful read {{target}} {{instance}}',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              unit: 's',
              custom: {
                lineWidth: 1,
                fillOpacity: 0,
                spanNulls: false,
              },
            },
            overrides: [],
          },
          options: {
            legend: {
              displayMode: 'list',
              placement: 'bottom',
              showLegend: true,
            },
            tooltip: {
              mode: 'multi',
              sort: 'none',
            },
          },
        },
        {
          type: 'timeseries',
          title: 'Notifications to Alertmanager',
          description: 'Pushes of the built-in evaluator to each Alertmanager by result, and alerts dropped.',
          id: 20,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 7,
            w: 8,
            x: 16,
            y: 49,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('sum by (instance, alertmanager, result) (rate(mshost_exporter_notifications_total{%(e)s}[$__rate_interval]))'),
              legendFormat: '{{instance}} {{alertmanager}} {{result}}',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'B',
              expr: q('sum by (instance) (rate(mshost_exporter_notifications_dropped_total{%(e)s}[$__rate_interval]))'),
              legendFormat: 'dropped {{instance}}',
              range: true,
              instant: false,
              format: 'time_series',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {
              unit: 'ops',
              custom: {
                lineWidth: 1,
                fillOpacity: 0,
                spanNulls: false,
              },
            },
            overrides: [],
          },
          options: {
            legend: {
              displayMode: 'list',
              placement: 'bottom',
              showLegend: true,
            },
            tooltip: {
              mode: 'multi',
              sort: 'none',
            },
          },
        },
        {
          type: 'table',
          title: 'Exporter build and configuration',
          description: 'Version of each exporter and whether its last configuration reload succeeded.',
          id: 21,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 5,
            w: 24,
            x: 0,
            y: 56,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max by (instance, version, revision) (mshost_exporter_build_info{%(e)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'B',
              expr: q('max by (instance) (mshost_exporter_config_last_reload_successful{%(e)s})'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'C',
              expr: q('max by (instance) (mshost_exporter_config_last_reload_success_timestamp_seconds{%(e)s}) * 1000'),
              legendFormat: '',
              range: false,
              instant: true,
              format: 'table',
              editorMode: 'code',
            },
          ],
          fieldConfig: {
            defaults: {},
            overrides: [
              {
                matcher: {
                  id: 'byName',
                  options: 'Last reload ok',
                },
                properties: [
                  {
                    id: 'mappings',
                    value: [
                      {
                        type: 'value',
                        options: {
                          '0': {
                            text: 'FAILED',
                            color: 'red',
                            index: 0,
                          },
                          '1': {
                            text: 'ok',
                            color: 'green',
                            index: 1,
                          },
                        },
                      },
                    ],
                  },
                  {
                    id: 'custom.cellOptions',
                    value: {
                      type: 'color-text',
                    },
                  },
                ],
              },
              {
                matcher: {
                  id: 'byName',
                  options: 'Last successful reload',
                },
                properties: [
                  {
                    id: 'unit',
                    value: 'dateTimeAsIso',
                  },
                ],
              },
            ],
          },
          options: {
            showHeader: true,
          },
          transformations: [
            {
              id: 'merge',
              options: {},
            },
            {
              id: 'organize',
              options: {
                excludeByName: {
                  Time: true,
                  'Value #A': true,
                },
                renameByName: {
                  'Value #B': 'Last reload ok',
                  'Value #C': 'Last successful reload',
                },
              },
            },
          ],
        },
        {
          id: 24,
          type: 'row',
          title: 'Peers and configuration',
          collapsed: false,
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          gridPos: {
            h: 1,
            w: 24,
            x: 0,
            y: 61,
          },
          panels: [],
        },
        {
          id: 25,
          type: 'table',
          title: 'Peer view (mshost_peer)',
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          description: 'How each node sees its peers: one row per mshost_peer row whose owner and peer are current nodes. A peer another node sees Down while it claims to run is cut off from the cluster.',
          gridPos: {
            h: 8,
            w: 12,
            x: 0,
            y: 62,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max by (job, target, name, msid, peer_name, peer_msid, state) (cloudstack_mshost_peer_state{%(t)s} == 1)'),
              legendFormat: '',
              format: 'table',
              instant: true,
              range: false,
            },
          ],
          transformations: [
            {
              id: 'organize',
              options: {
                excludeByName: {
                  Time: true,
                  Value: true,
                },
                indexByName: {
                  target: 0,
                  name: 1,
                  msid: 2,
                  peer_name: 3,
                  peer_msid: 4,
                  state: 5,
                  job: 6,
                },
                renameByName: {
                  name: 'node',
                  peer_name: 'sees peer',
                  state: 'as',
                },
              },
            },
          ],
          fieldConfig: {
            defaults: {},
            overrides: [],
          },
          options: {
            showHeader: true,
          },
        },
        {
          id: 26,
          type: 'table',
          title: 'Loopback probes',
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          description: "Nodes probed at a loopback address taken from their service_ip (CloudStack's default cluster.node.IP is 127.0.0.1): unless the exporter runs on that host it probes itself (MshostExporterLoopbackProbe).",
          gridPos: {
            h: 4,
            w: 12,
            x: 12,
            y: 62,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max by (job, target, name, msid, address) (cloudstack_mshost_probe_target_info{%(t)s, loopback="true"})'),
              legendFormat: '',
              format: 'table',
              instant: true,
              range: false,
            },
          ],
          transformations: [
            {
              id: 'organize',
              options: {
                excludeByName: {
                  Time: true,
                  Value: true,
                },
              },
            },
          ],
          fieldConfig: {
            defaults: {},
            overrides: [],
          },
          options: {
            showHeader: true,
          },
        },
        {
          id: 27,
          type: 'stat',
          title: 'Skipped rows',
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          description: "Rows of the last read the exporter could not parse and left out: nodes nobody watches (MshostExporterRowsSkipped). The exporter's log names them.",
          gridPos: {
            h: 4,
            w: 6,
            x: 12,
            y: 66,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('max without (%(w)s) (cloudstack_mshost_rows_skipped{%(t)s})'),
              legendFormat: '{{target}}',
            },
          ],
          fieldConfig: {
            defaults: {
              thresholds: {
                mode: 'absolute',
                steps: [
                  {
                    color: 'green',
                    value: null,
                  },
                  {
                    color: 'orange',
                    value: 1,
                  },
                ],
              },
            },
            overrides: [],
          },
          options: {
            reduceOptions: {
              calcs: [
                'lastNotNull',
              ],
              fields: '',
              values: false,
            },
            colorMode: 'background',
            graphMode: 'none',
            textMode: 'value_and_name',
          },
        },
        {
          id: 28,
          type: 'timeseries',
          title: 'Poll failures',
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          description: 'Polls whose read of the tables failed, per second, per replica (honours $instance).',
          gridPos: {
            h: 4,
            w: 6,
            x: 18,
            y: 66,
          },
          targets: [
            {
              datasource: {
                type: 'prometheus',
                uid: '${datasource}',
              },
              refId: 'A',
              expr: q('rate(cloudstack_mshost_poll_failures_total{%(ti)s}[$__rate_interval])'),
              legendFormat: '{{target}} {{instance}}',
            },
          ],
          fieldConfig: {
            defaults: {
              unit: 'ops',
              min: 0,
            },
            overrides: [],
          },
          options: {
            legend: {
              displayMode: 'list',
              placement: 'bottom',
            },
          },
        },
      ],
    },
  },
}
