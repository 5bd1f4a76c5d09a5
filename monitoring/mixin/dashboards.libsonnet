// The four dashboards. Their models are the JSON files in dashboards/ (Grafana's own export format,
// edited there or exported from Grafana; no grafonnet needed); the mixin sets what _config decides:
// uid, title prefix, tags (the dashboards' links find each other by tag), the data source the
// `datasource` variable starts on, and the target selector in every query.
local files = {
  'replication-overview.json': import 'dashboards/replication-overview.json',
  'infrastructure-metrics.json': import 'dashboards/infrastructure-metrics.json',
  'business-metrics.json': import 'dashboards/business-metrics.json',
  'error-latency.json': import 'dashboards/error-latency.json',
};
local sourceTag = 'freightliner';
local sourceTitlePrefix = 'Freightliner / ';
local sourceDatasourceUID = 'freightliner-prometheus';

// Every string of a model with the source's job selector replaced (queries, variable queries).
local withSelector(v, selector) =
  if std.isString(v) then std.strReplace(v, 'job="freightliner"', selector)
  else if std.isArray(v) then [withSelector(x, selector) for x in v]
  else if std.isObject(v) then { [k]: withSelector(v[k], selector) for k in std.objectFields(v) }
  else v;

local retag(tags, cfg) = cfg.dashboardTags + [t for t in tags if t != sourceTag];

// Panels whose line is an alert's threshold that _config sets: file -> panel title -> value. The
// model's second threshold step (the red one) becomes that value, so the line moves with the alert.
local alertLines(cfg) = {
  'replication-overview.json': {
    'Oldest queued job age': cfg.thresholds.queuedJobMaxAgeSeconds,
  },
};
local withAlertLines(name, d, cfg) =
  local all = alertLines(cfg);
  local lines = if std.objectHas(all, name) then all[name] else {};
  local set(p) =
    if std.objectHas(lines, p.title) then
      local steps = p.fieldConfig.defaults.thresholds.steps;
      assert std.length(steps) == 2 : name + ': panel ' + p.title + ' must have two threshold steps (base, alert)';
      p { fieldConfig+: { defaults+: { thresholds+: { steps: [steps[0], steps[1] { value: lines[p.title] }] } } } }
    else p;
  local titles = [p.title for p in d.panels];
  assert std.length([t for t in std.objectFields(lines) if !std.member(titles, t)]) == 0 : name + ': a panel of alertLines is missing';
  d { panels: [set(p) for p in d.panels] };

local configure(name, d, uid, cfg) =
  withSelector(withAlertLines(name, d, cfg), cfg.freightlinerSelector) + {
    uid: uid,
    title: cfg.dashboardTitlePrefix + std.lstripChars(std.substr(d.title, std.length(sourceTitlePrefix), std.length(d.title)), ''),
    tags: retag(d.tags, cfg),
    links: [
      l + (if std.objectHas(l, 'tags') then { tags: retag(l.tags, cfg) } else {})
      for l in super.links
    ],
    templating+: {
      list: [
        if v.type == 'datasource' then v { current+: { value: cfg.grafanaDatasourceUID } } else v
        for v in super.list
      ],
    },
  };

{
  grafanaDashboards+:: {
    [name]: (
      assert std.startsWith(files[name].title, sourceTitlePrefix) : name + ': title must start with ' + sourceTitlePrefix;
      assert std.member(files[name].tags, sourceTag) : name + ': tags must include ' + sourceTag;
      configure(name, files[name], $._config.dashboardUIDs[name], $._config)
    )
    for name in std.objectFields(files)
  },
}
