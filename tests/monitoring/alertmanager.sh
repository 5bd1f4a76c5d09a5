#!/usr/bin/env bash
# monitoring.alertmanager: both Alertmanager configurations load (amtool check-config, with their
# template), the templates render summary, impact, action and the runbook link, and every route
# goes where the policy says (amtool config routes test, one case per severity x component and one
# per alert of alert-rules.yml). Static checks of timings, secrets and inhibitions: js/alertmanager_check.mjs.
source "$(dirname "$0")/lib.sh"
need amtool
need_node_modules
make_tmp

# Production file: its template glob is absolute (/etc/alertmanager/templates); point it at the repo.
sed "s#/etc/alertmanager/templates/#$MON/alertmanager/templates/#" "$MON/alertmanager/alertmanager.yml" >"$TMP/alertmanager.yml"
for cfg in "$TMP/alertmanager.yml" "$MON/alertmanager/alertmanager-local.yml"; do
  out="$(amtool check-config "$cfg" 2>&1)" || { echo "$out"; fail "amtool check-config $cfg"; }
  grep -q -- "- 1 templates" <<<"$out" || { echo "$out"; fail "$cfg: template not loaded"; }
  grep -q -- "- 5 inhibit rules" <<<"$out" || { echo "$out"; fail "$cfg: expected 5 inhibit rules"; }
  note "amtool check-config $(basename "$cfg"): ok"
done

node "$MON_TESTS/js/alertmanager_check.mjs" >"$TMP/check.out" || { cat "$TMP/check.out"; fail "alertmanager_check"; }
grep -v '^CASE' "$TMP/check.out"

n=0
while IFS=$'\t' read -r _ want labels; do
  # shellcheck disable=SC2086 # labels are label=value words
  got="$(amtool config routes test --config.file="$TMP/alertmanager.yml" $labels 2>/dev/null)"
  [ "$got" = "$want" ] || fail "route for {$labels}: expected $want, got $got"
  # shellcheck disable=SC2086
  got_local="$(amtool config routes test --config.file="$MON/alertmanager/alertmanager-local.yml" $labels 2>/dev/null)"
  [ "$got_local" = "$want" ] || fail "local route for {$labels}: expected $want, got $got_local"
  n=$((n + 1))
done < <(grep '^CASE' "$TMP/check.out")
[ "$n" -ge 20 ] || fail "only $n route cases"
note "amtool config routes test: $n cases, production and local"

# Templates: render a firing critical alert the way Slack and PagerDuty would get it.
cat >"$TMP/data.json" <<'JSON'
{
  "receiver": "slack-critical",
  "status": "firing",
  "alerts": [{
    "status": "firing",
    "labels": {"alertname": "HighReplicationFailureRate", "severity": "critical", "component": "replication",
               "job": "freightliner", "source_registry": "a.example", "dest_registry": "b.example"},
    "annotations": {"summary": "More than 10% of replications a.example -> b.example are failing",
                    "description": "25% of replications failed", "impact": "Images are not reaching b.example",
                    "action": "Look at errors by error_type",
                    "runbook_url": "https://example.test/SLO_RUNBOOKS.md#highreplicationfailurerate"},
    "startsAt": "2025-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph", "fingerprint": "1"
  }],
  "groupLabels": {"alertname": "HighReplicationFailureRate"},
  "commonLabels": {"alertname": "HighReplicationFailureRate", "severity": "critical", "component": "replication"},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager:9093"
}
JSON
render() {
  amtool template render --template.glob="$MON/alertmanager/templates/*.tmpl" --template.data="$TMP/data.json" \
    --template.text="$1" 2>&1 || fail "amtool template render $1"
}
text="$(render '{{ template "freightliner.slack.text" . }}')"
for want in "More than 10% of replications a.example -> b.example are failing" "*Impact:* Images are not reaching b.example" \
  "*Action:* Look at errors by error_type" "<https://example.test/SLO_RUNBOOKS.md#highreplicationfailurerate|HighReplicationFailureRate>"; do
  grep -qF -- "$want" <<<"$text" || { echo "$text"; fail "Slack text lacks: $want"; }
done
[ "$(render '{{ template "freightliner.title" . }}')" = "[FIRING:1] HighReplicationFailureRate (critical)" ] || fail "title: $(render '{{ template "freightliner.title" . }}')"
# No CommonAnnotations in the data: the runbook link must still come from the alert itself.
[ "$(render '{{ template "freightliner.runbook" . }}')" = "https://example.test/SLO_RUNBOOKS.md#highreplicationfailurerate" ] || fail "runbook link"
[ "$(render '{{ template "freightliner.pagerduty.description" . }}')" = "[FIRING:1] HighReplicationFailureRate (critical): More than 10% of replications a.example -> b.example are failing" ] ||
  fail "PagerDuty description: $(render '{{ template "freightliner.pagerduty.description" . }}')"
[ "$(render '{{ template "freightliner.slack.color" . }}')" = "danger" ] || fail "Slack color"
note "templates render summary, impact, action and runbook link"
echo "alertmanager: passed"
