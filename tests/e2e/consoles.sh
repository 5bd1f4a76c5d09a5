#!/usr/bin/env bash
# The console pages in a real browser: start the local stack (scripts/stack.sh, STACK_FAST=1) with
# the real binary; after the first sync, headless Chromium loads the index and each console page
# from the stack's Prometheus, waits until every graph has its answer, and checks that
#   - every graph drew at least one finite sample, except those listed below as allowed to be
#     empty on a healthy stack (they are printed as such), and no graph is an error;
#   - a registry filter in the URL reaches the queries: filtered on a registry that does not
#     exist, every registry graph is empty;
# and saves a screenshot of each page in SCREENSHOT_DIR.
#
#   tests/e2e/consoles.sh PATH/TO/freightliner SCREENSHOT_DIR
. "$(dirname "$0")/lib.sh"
e2e_init consoles "${1:?usage: consoles.sh FREIGHTLINER_BINARY SCREENSHOT_DIR}"
SHOTS=${2:?usage: consoles.sh FREIGHTLINER_BINARY SCREENSHOT_DIR}
export STACK_FAST=1
mkdir -p "$SHOTS"

# Graphs a healthy stack may leave empty: nothing failed, nothing was refused, nothing is slow.
ALLOWED_EMPTY=(
  "Errors by type"                # no replication error
  "Errors by type and registry"   # no replication error (the panel keeps only counts above 0)
  "HTTP 5xx rate"                 # no 5xx answer
  "Authentication failures"       # no request without a valid key
  "Panics by component"           # no panic
)

stack_up
ok "stack up; first scheduled sync: $(grep -m1 '^sync ' "$STACK_DIR.up.log")"

promql() {
  curl -sf --get --data-urlencode "query=$1" "$PROMETHEUS/api/v1/query" | jq -r '.data.result | length'
}
# The stack mirrored a new tag while Prometheus watched: wait until its rates and the recording
# rules built on them have been scraped and evaluated.
for _ in $(seq 1 60); do
  [ "$(promql 'sum(rate(freightliner_replication_duration_seconds_count[5m])) > 0')" -gt 0 ] &&
    [ "$(promql 'job:freightliner_replication_error_ratio:rate5m')" -gt 0 ] && break
  sleep 1
done
sleep 2

# The browser: headless, no sandbox when run as root (CI), a page's scripts given up to 30 s.
browser() {
  local sandbox=()
  [ "$(id -u)" -ne 0 ] || sandbox=(--no-sandbox)
  timeout 90 chromium --headless "${sandbox[@]}" --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$STACK_DIR/chromium" --hide-scrollbars \
    --virtual-time-budget=30000 "$@" 2>>"$STACK_DIR/chromium.log"
}

# check_page NAME DOM [EXPECT] -> every graph's state; EXPECT=empty-registry: the registry graphs are empty
check_page() {
  python3 - "$1" "$2" "${3:-}" "${ALLOWED_EMPTY[@]}" <<'PYEOF'
import html.parser, sys
name, dom, expect, allowed = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3], set(sys.argv[4:])

class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.pending, self.graphs, self._graph, self._h2 = None, [], None, False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.pending = a.get("data-fl-pending")
        if tag == "div" and "fl-graph" in (a.get("class") or "").split():
            self._graph = dict(a, title="", queries="")
            self.graphs.append(self._graph)
        self._h2 = tag == "h2" and self._graph is not None
        self._code = tag == "code" and self._graph is not None
    def handle_endtag(self, tag):
        self._h2 = self._code = False
    def handle_data(self, data):
        if self._h2:
            self._graph["title"] += data
        elif getattr(self, "_code", False):
            self._graph["queries"] += data

d = Dom()
d.feed(dom)
bad = []
if d.pending != "0":
    bad.append(f"{d.pending} graphs still waiting for their data")
for g in d.graphs:
    state, title = g.get("data-state"), g["title"]
    if state == "error":
        bad.append(f"{title!r}: error: {g.get('data-error')}")
    elif expect == "empty-registry":
        if "$source_registry" in g["queries"] and state != "empty":
            bad.append(f"{title!r}: filtered on a registry that does not exist, yet {state} ({g.get('data-samples')} samples)")
    elif state == "empty" and title not in allowed:
        bad.append(f"{title!r}: drew no finite sample")
    elif state == "empty":
        print(f"  allowed empty: {title}")
    elif state != "drawn":
        bad.append(f"{title!r}: state {state}")
    else:
        print(f"  drawn: {title} ({g.get('data-samples')} finite samples)")
for b in bad:
    print(f"  {name}: {b}")
sys.exit(1 if bad else 0)
PYEOF
}

base=$PROMETHEUS/consoles
for page in index replication-overview error-latency infrastructure-metrics business-metrics; do
  # The stack is a minute old: a 1-minute range shows its data across the graphs.
  url="$base/$page.html?range=1m"
  code=$(curl -s -o "$STACK_DIR/$page.src" -w '%{http_code}' "$url")
  if [ "$code" != 200 ] || grep -q 'error executing template' "$STACK_DIR/$page.src"; then
    not_ok "$page.html: HTTP $code: $(head -c 300 "$STACK_DIR/$page.src")"
    continue
  fi
  browser --window-size=1400,2400 --dump-dom "$url" > "$STACK_DIR/$page.dom" || true
  graphs=$(grep -c 'class="fl-graph"' "$STACK_DIR/$page.src" || true)
  if check_page "$page" "$STACK_DIR/$page.dom"; then
    ok "$page.html: rendered in Chromium ($graphs graphs)"
  else
    not_ok "$page.html in Chromium"
  fi
  # Two graphs a row, about 300 pixels each, below the title and filters.
  browser --window-size=1400,$((340 + (graphs + 1) / 2 * 300)) --screenshot="$SHOTS/$page.png" "$url" > /dev/null || true
  [ -s "$SHOTS/$page.png" ] && ok "$page.html: screenshot $SHOTS/$page.png" || not_ok "$page.html: no screenshot"
done

# Links that work: every link on the index and on a dashboard page (the menu, the alert pages of
# this build's UI, each graph's link to the query page) answers 200; the index names the stack's
# Alertmanager in its amtool commands.
links=$(python3 - "$base/" "$STACK_DIR/index.dom" "$STACK_DIR/replication-overview.dom" <<'PYEOF2'
import html.parser, sys, urllib.parse
base = sys.argv[1]
class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = set()
    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.add(urllib.parse.urljoin(base, href))
l = Links()
for path in sys.argv[2:]:
    l.feed(open(path).read())
print("\n".join(sorted(l.hrefs)))
PYEOF2
)
dead=0
while read -r link; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$link")
  [ "$code" = 200 ] || { dead=$((dead + 1)); echo "  $link: HTTP $code"; }
done <<<"$links"
[ "$dead" -eq 0 ] && ok "$(wc -l <<<"$links") links on the pages answer 200" || not_ok "$dead links do not answer"
grep -q -- "--alertmanager.url=$ALERTMANAGER alert query" "$STACK_DIR/index.dom" &&
  ok "the index's amtool command names the stack's Alertmanager" || not_ok "the index's amtool command"

url="$base/replication-overview.html?range=1m&source_registry=no-such-registry.example"
browser --window-size=1400,2400 --dump-dom "$url" > "$STACK_DIR/filtered.dom" || true
check_page filtered "$STACK_DIR/filtered.dom" empty-registry &&
  ok "a source_registry URL parameter filters the graphs" || not_ok "source_registry filter"
