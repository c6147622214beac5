// PromQL building blocks shared by the rules, the alerts and the dashboard, so the
// replica aggregation and the label matching are written once.
{
  // `a, b` for by()/without()/ignoring().
  list(labels):: std.join(', ', labels),

  // A metric with the given selector and extra matchers: m('cloudstack_mshost_up', sel)
  // or m('cloudstack_mshost_verdict', sel, 'verdict="ok"').
  m(metric, selector, extra=''):: '%s{%s}' % [metric, if extra == '' then selector else selector + ', ' + extra],

  // Folds a ||| block into one line, as YAML's ">-" would: the alerts' descriptions
  // are templates whose line breaks mean nothing.
  fold(text):: std.join(' ', std.filter(function(l) l != '', [std.stripChars(l, ' ') for l in std.split(text, '\n')])),
}
