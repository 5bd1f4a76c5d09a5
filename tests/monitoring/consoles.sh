#!/usr/bin/env bash
# monitoring.consoles: the console pages (monitoring/prometheus/consoles/) against the Grafana
# dashboards they show. One source for the queries: every graph's query is, byte for byte, a query
# of the panel with the same title in the dashboard with the same name; only the variables the
# console library gives values to appear; each query, with those values, parses (promtool); the
# spec's key panels are all there; the index and the library's menu link every page.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$MON" "$work/queries.yml" <<'PYEOF'
import html.parser, json, pathlib, re, sys

monitoring, rules_out = pathlib.Path(sys.argv[1]), sys.argv[2]
consoles = monitoring / "prometheus/consoles"
library = (monitoring / "prometheus/console_libraries/freightliner.lib").read_text()
failures = []

def fail(msg):
    failures.append(msg)

# The values freightliner.lib gives Grafana's variables (its `substitutions`), with URL parameters
# absent; the library must say the same.
FIXED = {"$__rate_interval": "5m", "$__range": "1h", "$source_registry": ".*", "$dest_registry": ".*", "$instance": ".*"}
for name, value in FIXED.items():
    expected = f'["{name}", "{value}"]' if not value == ".*" else f'["{name}", null]'
    if expected not in library:
        fail(f"freightliner.lib does not give {name} the value {value} (expected {expected} in its substitutions)")
UNITS = set(re.findall(r"^    (\w+): \[", library, re.M))

class Page(html.parser.HTMLParser):
    """The graphs of a console page: title, unit and queries of each .fl-graph, and its links."""
    def __init__(self):
        super().__init__()
        self.graphs, self.links, self._graph, self._in = [], [], None, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "div" and "fl-graph" in (a.get("class") or "").split():
            self._graph = {"title": "", "unit": a.get("data-unit"), "queries": []}
            self.graphs.append(self._graph)
        elif self._graph is not None and tag in ("h2", "code"):
            self._in = tag
            if tag == "code":
                self._graph["queries"].append("")
    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None
        elif tag == "div" and self._in is None:
            self._graph = None
    def handle_data(self, data):
        if self._graph is None or self._in is None:
            return
        if self._in == "h2":
            self._graph["title"] += data
        else:
            self._graph["queries"][-1] += data

def dashboard_panels(path):
    panels = {}
    def walk(o):
        if isinstance(o, dict):
            if "targets" in o:
                panels[o["title"]] = o
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(json.loads(path.read_text()))
    return panels

all_titles, rules = set(), []
dashboards = sorted((monitoring / "grafana/dashboards").glob("*.json"))
for dash in dashboards:
    page_path = consoles / f"{dash.stem}.html"
    if not page_path.exists():
        fail(f"{dash.name} has no console page ({page_path.name})")
        continue
    page = Page()
    page.feed(page_path.read_text())
    panels = dashboard_panels(dash)
    if len(page.graphs) < 5:
        fail(f"{page_path.name}: {len(page.graphs)} graphs; a page shows its dashboard's key panels")
    for g in page.graphs:
        where = f"{page_path.name}: graph {g['title']!r}"
        all_titles.add(g["title"])
        panel = panels.get(g["title"])
        if panel is None:
            fail(f"{where} is not a panel of {dash.name}")
            continue
        wanted = [t["expr"] for t in panel["targets"]]
        if not g["queries"]:
            fail(f"{where} has no query")
        for q in g["queries"]:
            if q not in wanted:
                fail(f"{where}: query is not one of the panel's queries in {dash.name}: {q}")
            rest = q
            for name, value in FIXED.items():
                rest = rest.replace(name, value)
            if "$" in rest:
                fail(f"{where}: a variable the console library gives no value: {q}")
            rules.append((f"{dash.stem} / {g['title']}", rest))
        unit = (panel.get("fieldConfig", {}).get("defaults", {}).get("unit")) or "short"
        if g["unit"] != unit:
            fail(f"{where}: unit {g['unit']!r}, the panel's is {unit!r}")
        if g["unit"] not in UNITS:
            fail(f"{where}: freightliner.lib has no format for unit {g['unit']!r}")

# The spec's key panels (replication rate and success ratio, durations, bytes, errors by type,
# worker pool, jobs, HTTP rate/latency/5xx, memory and threads) each have a graph somewhere.
for title in ["Replication rate by registry pair", "Success rate", "Replication latency P95 / P99",
              "Data transfer throughput", "Errors by type", "Worker pool", "Worker pool utilization",
              "Job execution rate", "Jobs running / queued work", "HTTP requests by status",
              "HTTP latency P95 by route", "HTTP 5xx rate", "Memory usage", "Goroutine count (threads)"]:
    if title not in all_titles:
        fail(f"no console page shows the key panel {title!r}")

index = Page()
index.feed((consoles / "index.html").read_text())
for dash in dashboards:
    if f"{dash.stem}.html" not in index.links:
        fail(f"index.html does not link {dash.stem}.html")
    if f'href="{dash.stem}.html"' not in library:
        fail(f"freightliner.lib's menu does not link {dash.stem}.html")

# Each query, as the library sends it, goes to promtool as a recording rule: it must parse.
with open(rules_out, "w") as f:
    f.write("groups:\n  - name: console_queries\n    rules:\n")
    for i, (where, expr) in enumerate(rules):
        f.write(f"      - record: console_query_{i}\n        expr: {json.dumps(expr)}\n")
print(f"{len(rules)} console queries from {len(dashboards)} pages")
for msg in failures:
    print("FAILED:", msg)
sys.exit(1 if failures else 0)
PYEOF
promtool check rules "$work/queries.yml" > "$work/promtool.log" 2>&1 || { cat "$work/promtool.log"; fail "a console query does not parse"; }
echo "ok: console queries match the dashboards and parse"
