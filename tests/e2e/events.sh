#!/usr/bin/env bash
# Replication on push, with real registries: the local stack (scripts/stack.sh) with its sync
# scheduled once an hour, so that only push events can copy; the source registry (CNCF
# distribution) sends its notifications to serve. Checks that
#   - a tag pushed to the source reaches the destination (same digest), through a job triggered
#     by the event and narrowed to that tag;
#   - a repeated delivery of the same event is harmless (the tag is up to date, nothing changes);
#   - pulls are counted and queue nothing; the lag histogram observed each copy.
#
#   tests/e2e/events.sh PATH/TO/freightliner
. "$(dirname "$0")/lib.sh"
e2e_init events "${1:?usage: events.sh FREIGHTLINER_BINARY}"
export STACK_FAST=1 STACK_SYNC_EVERY=1h
. "$ROOT/scripts/lib/registries.sh"

# The stack itself pushes team/app:v3 after the first (and, here, only) scheduled sync: it
# reaches the destination through the push event or the stack does not come up.
stack_up
ok "stack up: $(grep -m1 'a pushed tag mirrored' "$STACK_DIR.up.log" | tr -s ' ')"

metric() {  # metric 'NAME{LABELS}' -> its value (0 when absent)
  curl -s "$METRICS" | awk -v name="$1" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }'
}
event_jobs() {  # event_jobs TAG -> the ids of event jobs for team/app:TAG
  curl -s "$API/api/v1/jobs?type=sync&limit=1000" |
    jq -r --arg tag "$1" '.jobs[] | select(.trigger == "event" and .request.tag == $tag and .request.repository == "team/app") | .id'
}

[ "$(event_jobs v3 | wc -l)" -ge 1 ] && ok "team/app:v3 was copied by an event job" || not_ok "no event job for v3"

# A new tag, pushed as a user would.
w=$STACK_DIR/images
head -c 800000 /dev/urandom > "$w/app-v4.bin"
build_image "$w/oci" app-v4 amd64 "$w/base.bin" "$w/app-v4.bin" >/dev/null
skopeo_push "oci:$w/oci:app-v4" "docker://$SRC/team/app:v4"
want=$(raw_digest "docker://$SRC/team/app:v4")
got=""
deadline=$((SECONDS + 30))
while [ "$SECONDS" -lt "$deadline" ]; do
  got=$(raw_digest "docker://$DST/mirror/app:v4" 2>/dev/null || true)
  [ "$got" = "$want" ] && break
  sleep 0.2
done
[ "$got" = "$want" ] && ok "team/app:v4 pushed: at the destination as $want" ||
  not_ok "team/app:v4 did not reach the destination within 30 s (got '$got')"
jobs=$(event_jobs v4)
[ "$(wc -l <<<"$jobs")" -eq 1 ] && [ -n "$jobs" ] && [ "$(wait_job "$jobs" 300)" = succeeded ] &&
  ok "one event job for v4, succeeded" || not_ok "event jobs for v4: '$jobs'"
[ "$(curl -s "$API/api/v1/jobs/$jobs" | jq -r '.request | "\(.name) \(.repository):\(.tag)"')" = "mirror team/app:v4" ] &&
  ok "the job is sync mirror narrowed to team/app:v4" || not_ok "the v4 job's request"

# Distribution retries a delivery it did not see acknowledged: the same envelope again.
envelope=$(jq -nc --arg digest "$want" --arg ts "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  '{events: [{id: "again", timestamp: $ts, action: "push",
    target: {mediaType: "application/vnd.oci.image.manifest.v1+json", repository: "team/app", tag: "v4", digest: $digest},
    request: {host: "forged.example"}}]}')
answer=$(curl -s -H 'Content-Type: application/vnd.docker.distribution.events.v1+json' -d "$envelope" \
  "$API/api/v1/events/distribution")
again=$(jq -r '.jobs[0] // empty' <<<"$answer")
[ "$(jq -r .registry <<<"$answer")" = "$SRC" ] && ok "the event's registry is the endpoint's ($SRC), not the body's" ||
  not_ok "registry of a repeated event: $answer"
if [ -n "$again" ]; then
  [ "$(wait_job "$again" 300)" = succeeded ] && ok "a repeated event's job succeeds" || not_ok "repeated event's job"
else
  jq -e '.collapsed == 1' <<<"$answer" >/dev/null && ok "a repeated event joined the queued job" || not_ok "repeated event: $answer"
fi
[ "$(raw_digest "docker://$DST/mirror/app:v4")" = "$want" ] && ok "the destination is unchanged" || not_ok "destination changed"

pushes=$(metric 'freightliner_events_received_total{action="push",source="distribution"}')
pulls=$(metric 'freightliner_events_received_total{action="pull",source="distribution"}')
lags=$(metric 'freightliner_event_replication_lag_seconds_count')
[ "${pushes%.*}" -ge 3 ] && ok "$pushes push events counted" || not_ok "push events: $pushes"
[ "${pulls%.*}" -ge 1 ] && [ "$(curl -s "$API/api/v1/jobs?type=sync&limit=1000" | jq '[.jobs[] | select(.trigger == "event")] | length')" -eq 3 ] &&
  ok "$pulls pull events counted, and only the 3 pushes queued jobs" || not_ok "pulls: $pulls"
[ "${lags%.*}" -ge 3 ] && ok "the lag histogram observed $lags copies" || not_ok "lag observations: $lags"
