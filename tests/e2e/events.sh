#!/usr/bin/env bash
# Replication on push, with real registries: the local stack (scripts/stack.sh) with its sync
# scheduled once an hour, so that only push events can copy; the source registry (CNCF
# distribution) sends its notifications to serve. Checks that
#   - a tag pushed to the source reaches the destination (same digest), through a job triggered
#     by the event and narrowed to that tag;
#   - a repeated delivery of the same event is harmless (the tag is up to date, nothing changes);
#   - pulls are counted and queue nothing; the lag histogram observed each copy;
#   - pushes to a repository no sync maps, and pulls, are counted and queue nothing, and the
#     destination holds nothing new;
#   - 50 pushes of one tag end with the destination at the last push's digest, in a handful of
#     jobs: the collapse rule's bound checked job by job, and one job when every runner is busy.
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

# Pushes and pulls that no sync maps do nothing: the sync mirrors team/ only, so other/thing is
# pushed and pulled (through the registry, which sends its events), then one push and one pull
# envelope of ours show what serve answers. Nothing is queued, the destination holds nothing new,
# and every event is counted.
all_jobs() { curl -s "$API/api/v1/jobs?limit=1000" | jq -c '[.jobs[].id]'; }
dst_repos() { curl -s "http://$DST/v2/_catalog" | jq -c '.repositories'; }
jobs_before=$(all_jobs)
repos_before=$(dst_repos)
pushes_before=$(metric 'freightliner_events_received_total{action="push",source="distribution"}')
pulls_before=$(metric 'freightliner_events_received_total{action="pull",source="distribution"}')
skopeo_push "oci:$w/oci:app-v4" "docker://$SRC/other/thing:v1"
other=$(raw_digest "docker://$SRC/other/thing:v1")  # a pull of other/thing
raw_digest "docker://$SRC/team/app:v4" >/dev/null     # a pull of a repository the sync mirrors
# The registry delivers its events one at a time, in order: once the push and both pulls are
# counted, the push's request has been answered.
for _ in $(seq 1 100); do
  p=$(metric 'freightliner_events_received_total{action="push",source="distribution"}')
  q=$(metric 'freightliner_events_received_total{action="pull",source="distribution"}')
  [ "${p%.*}" -ge $((${pushes_before%.*} + 1)) ] && [ "${q%.*}" -ge $((${pulls_before%.*} + 2)) ] && break
  sleep 0.1
done
envelope() {  # envelope ACTION REPOSITORY TAG DIGEST: a distribution envelope of one event
  jq -nc --arg action "$1" --arg repo "$2" --arg tag "$3" --arg digest "$4" \
    --arg ts "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    '{events: [{id: "e2e-\($action)-\($repo)", timestamp: $ts, action: $action,
      target: {mediaType: "application/vnd.oci.image.manifest.v1+json", repository: $repo, tag: $tag, digest: $digest}}]}'
}
post_events() {
  curl -s -H 'Content-Type: application/vnd.docker.distribution.events.v1+json' -d "$1" \
    "$API/api/v1/events/distribution"
}
answer=$(post_events "$(envelope push other/thing v1 "$other")")
jq -e '.jobs == [] and .collapsed == 0 and .ignored == 1 and .invalid == 0' <<<"$answer" >/dev/null &&
  ok "a push to other/thing, which no sync maps, is answered: no job, 1 ignored" ||
  not_ok "the answer to a push no sync maps: $answer"
answer=$(post_events "$(envelope pull team/app v4 "$want")")
jq -e '.jobs == [] and .collapsed == 0 and .ignored == 1' <<<"$answer" >/dev/null &&
  ok "a pull of team/app:v4 is answered: no job, 1 ignored" || not_ok "the answer to a pull: $answer"
sleep 0.5  # a job queued by mistake would be listed by now
pushes=$(metric 'freightliner_events_received_total{action="push",source="distribution"}')
pulls=$(metric 'freightliner_events_received_total{action="pull",source="distribution"}')
[ "${pushes%.*}" -ge $((${pushes_before%.*} + 2)) ] && [ "${pulls%.*}" -ge $((${pulls_before%.*} + 3)) ] &&
  ok "the events were counted: push $pushes_before -> $pushes, pull $pulls_before -> $pulls" ||
  not_ok "events received: push $pushes_before -> $pushes, pull $pulls_before -> $pulls"
[ "$(all_jobs)" = "$jobs_before" ] && ok "no job queued by them ($(jq length <<<"$jobs_before") jobs before and after)" ||
  not_ok "jobs changed: $jobs_before -> $(all_jobs)"
[ "$(dst_repos)" = "$repos_before" ] &&
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$DST/v2/other/thing/tags/list")" = 404 ] &&
  ok "the destination holds no other/thing (repositories: $repos_before)" ||
  not_ok "the destination changed: $repos_before -> $(dst_repos)"

# Bursts: 50 pushes of one tag, each a different image (its config carries the push's number),
# copy the final state, in a handful of jobs. The pushes are real pushes to the source registry,
# by curl on one connection (the blobs first, then the 50 manifests back to back, 30-60 ms each
# here), and the events are the registry's own, one per push.
#
# The bound. A push event joins its tag's job while that job is queued and unclaimed, so at any
# moment at most one job of the tag waits: a new job is queued only once the previous one has been
# claimed, and a claim needs a free runner, of R (max_concurrent_jobs). So when the tag's i-th job
# is queued (i from 0), the i before it are claimed, at most R of them still running: at least i-R
# have ended. The total is at most R + 1 + (the tag's jobs that ended while its events came in):
# far below 50 when the events come faster than the runners finish jobs, 1 when every runner is
# busy throughout.
#
# 1. team/burst:live, serve paused. Sent as they happen, the events come 50-70 ms apart while the
#    runners finish a job every 60-100 ms (4 runners, 0.2-0.4 s a job on this 2-core machine):
#    about 30 jobs, the runners keeping up (skopeo, at 0.3-1 s a push, makes a job per push). So
#    serve is paused (SIGSTOP) during the pushes, as if it were restarting: the registry keeps the
#    events and retries (timeout 2s, backoff 1s in the stack's config), then sends the backlog
#    back to back, one event per request, as fast as serve answers. Every job then reads the final
#    tag. Checked: the rule above for every job, from the jobs' own times (how many ended before
#    each was queued); the count depends on the machine (5 to 23 in our runs, under load).
# 2. team/burst:held, every runner busy: R API jobs read from a port that accepts and never answers,
#    the 50 pushes come with serve running, and all their events are counted before the R jobs are
#    canceled: the first event queues the tag's job, which no runner can claim, and the other 49
#    join it. Exactly one job, which then copies the final state.
R=$(sed -n 's/^max_concurrent_jobs: *\([0-9]*\).*/\1/p' "$STACK_DIR/serve/server.yaml")
R=${R:-4}  # the default (docs/SERVER.md)
b=$w/burst
mkdir -p "$b/layer/data"
head -c 4096 /dev/urandom > "$b/layer/data/payload.bin"
tar -C "$b/layer" --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$b/layer.tar" data
diff_id=sha256:$(sha256sum < "$b/layer.tar" | cut -d' ' -f1)
gzip -n -c "$b/layer.tar" > "$b/layer.tar.gz"
blobs=("$b/layer.tar.gz")
for i in $(seq 1 50); do
  printf -v c '{"architecture":"amd64","os":"linux","config":{"Labels":{"burst":"%d"}},"rootfs":{"type":"layers","diff_ids":["%s"]}}' "$i" "$diff_id"
  printf '%s' "$c" > "$b/config$i"
  blobs+=("$b/config$i")
done
# The 51 blobs, each a monolithic upload (POST a session, PUT the bytes with their digest), by two
# curl processes (a process per request takes half a minute on this machine when it is busy).
declare -A digest_of size_of
while read -r d f; do digest_of[$f]=sha256:$d; done < <(sha256sum "${blobs[@]}")
while read -r n f; do size_of[$f]=$n; done < <(stat -c '%s %n' "${blobs[@]}")
posts=()
for f in "${blobs[@]}"; do
  posts+=(--next -s -X POST -o /dev/null -w '%header{location}\n' "http://$SRC/v2/team/burst/blobs/uploads/")
done
mapfile -t locations < <(curl "${posts[@]:1}")
uploads=()
for k in "${!blobs[@]}"; do
  f=${blobs[$k]} location=${locations[$k]:-/missing}
  case $location in http*) ;; *) location=http://$SRC$location ;; esac
  case $location in *\?*) location="$location&digest=${digest_of[$f]}" ;; *) location="$location?digest=${digest_of[$f]}" ;; esac
  uploads+=(--next -s -o /dev/null -w '%{http_code}\n' -X PUT -H 'Content-Type: application/octet-stream'
    --data-binary "@$f" "$location")
done
uploaded=$(curl "${uploads[@]:1}" | sort | uniq -c | tr -s ' ')
[ "$uploaded" = " 51 201" ] && ok "the bursts' 51 blobs uploaded to team/burst" || not_ok "blob uploads: $uploaded"
layer=$b/layer.tar.gz
printf -v layers '"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]' \
  "${digest_of[$layer]}" "${size_of[$layer]}"
for i in $(seq 1 50); do
  f=$b/config$i
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},%s}' \
    "${digest_of[$f]}" "${size_of[$f]}" "$layers" > "$b/manifest$i"
done
last=sha256:$(sha256sum < "$b/manifest50" | cut -d' ' -f1)
push_burst() {  # push_burst TAG: the 50 manifests to team/burst:TAG, in order; prints "COUNT CODE" lines
  local i puts=()
  for i in $(seq 1 50); do
    puts+=(--next -s -o /dev/null -w '%{http_code}\n' -X PUT
      -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$b/manifest$i"
      "http://$SRC/v2/team/burst/manifests/$1")
  done
  curl "${puts[@]:1}" | sort | uniq -c | tr -s ' '
}
burst_jobs() {  # burst_jobs TAG: the event jobs of team/burst:TAG, oldest first
  curl -s "$API/api/v1/jobs?type=sync&limit=1000" | jq -c --arg tag "$1" \
    '[.jobs[] | select(.trigger == "event" and .request.repository == "team/burst" and .request.tag == $tag)] | sort_by(.created_at, .id)'
}
settle() {  # settle TAG: waits (60 s at most) for mirror/burst:TAG at $last and the tag's jobs ended
  local deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(raw_digest "docker://$DST/mirror/burst:$1" 2>/dev/null || true)" = "$last" ] &&
      burst_jobs "$1" | jq -e 'length > 0 and all(.status != "queued" and .status != "running")' >/dev/null && return 0
    sleep 0.2
  done
}

# Whatever happens, serve is not left paused, nor the port of part 2 open, at the end.
serve_pid=$(cat "$STACK_DIR/serve/pid")
hole_pid=""
burst_cleanup() {
  local rc=$?
  kill -CONT "$serve_pid" 2>/dev/null || true
  [ -z "$hole_pid" ] || kill "$hole_pid" 2>/dev/null || true
  return "$rc"
}
trap 'burst_cleanup; e2e_finish' EXIT

# 1. team/burst:live, serve paused during the pushes.
kill -STOP "$serve_pid"
t0=${EPOCHREALTIME//[.,]/}
codes=$(push_burst live || true)  # nothing may stop the script while serve is paused
burst_ms=$(( (${EPOCHREALTIME//[.,]/} - t0) / 1000 ))
kill -CONT "$serve_pid"
[ "$codes" = " 50 201" ] && [ "$(raw_digest "docker://$SRC/team/burst:live")" = "$last" ] &&
  ok "50 pushes of team/burst:live in $burst_ms ms while serve was paused, the last one $last" ||
  not_ok "the pushes of team/burst:live: $codes"
t0=${EPOCHREALTIME//[.,]/}
settle live
settled_ms=$(( (${EPOCHREALTIME//[.,]/} - t0) / 1000 ))
jobs=$(burst_jobs live)
n=$(jq length <<<"$jobs")
# Read once every job has ended: a job that copied an earlier push must not end last.
got=$(raw_digest "docker://$DST/mirror/burst:live" 2>/dev/null || true)
[ "$got" = "$last" ] && ok "mirror/burst:live is the last push's digest once its jobs ended ($settled_ms ms after serve resumed)" ||
  not_ok "mirror/burst:live is '$got', not the last push's $last; jobs: $(jq -c 'map({id, status, created_at, started_at, finished_at})' <<<"$jobs")"
jq -e 'length > 0 and all(.status == "succeeded")' <<<"$jobs" >/dev/null && ok "team/burst:live's $n jobs all succeeded" ||
  not_ok "team/burst:live's jobs: $(jq -c 'map({id, status, error})' <<<"$jobs")"
# For each job i (from 0): at least i-R of the tag's jobs had ended (finished_at) when it was queued.
short=$(jq --argjson r "$R" '. as $j | [range(0; length) as $i
  | ($i - $r) - ([$j[] | select(.finished_at != null and .finished_at <= $j[$i].created_at)] | length)] | max // 0' <<<"$jobs")
ended=$(jq '. as $j | [$j[] | select(.finished_at != null and .finished_at <= ($j | last | .created_at))] | length' <<<"$jobs")
[ "$n" -ge 1 ] && [ "$n" -lt 50 ] && [ "$short" -le 0 ] &&
  ok "50 pushes made $n jobs, each queued once the one before was claimed: $n <= R + 1 + $ended ended meanwhile (R = $R)" ||
  not_ok "team/burst:live: $n jobs, $short more than the rule allows: $(jq -c 'map({id, created_at, started_at, finished_at})' <<<"$jobs")"

# 2. team/burst:held, every runner held by an API job reading from a port that never answers
#    (connections accepted, nothing sent; the client would wait 60 s for a byte).
node -e 'const s = require("net").createServer(() => {});
  s.listen(0, "127.0.0.1", () => console.log(s.address().port));
  setTimeout(() => process.exit(0), 120000);' > "$b/hole.port" &
hole_pid=$!
for _ in $(seq 1 100); do [ -s "$b/hole.port" ] && break; sleep 0.1; done
hole=127.0.0.1:$(cat "$b/hole.port")
held=()
for k in $(seq 1 "$R"); do
  held+=("$(curl -s -H 'Content-Type: application/json' \
    -d "{\"source\": \"$hole/hold/x$k:v1\", \"destination\": \"$DST/hold/x$k:v1\"}" \
    "$API/api/v1/replicate" | jq -r .job_id)")
done
running=0
for _ in $(seq 1 100); do
  running=0
  for id in "${held[@]}"; do
    [ "$(curl -s "$API/api/v1/jobs/$id" | jq -r .status)" = running ] && running=$((running + 1))
  done
  [ "$running" -eq "$R" ] && break
  sleep 0.1
done
pushes_before=$(metric 'freightliner_events_received_total{action="push",source="distribution"}')
codes=$(push_burst held)
for _ in $(seq 1 300); do  # the registry delivers the 50 events (30 s at most)
  p=$(metric 'freightliner_events_received_total{action="push",source="distribution"}')
  [ "${p%.*}" -ge $((${pushes_before%.*} + 50)) ] && break
  sleep 0.1
done
jobs=$(burst_jobs held)
[ "$running" -eq "$R" ] && [ "$codes" = " 50 201" ] && [ "$(jq length <<<"$jobs")" -eq 1 ] &&
  [ "$(jq -r '.[0].status' <<<"$jobs")" = queued ] &&
  ok "with the $R runners busy, 50 pushes of team/burst:held ($((${p%.*} - ${pushes_before%.*})) events) wait as 1 queued job" ||
  not_ok "team/burst:held: $running of $R runners held, pushes '$codes', jobs $(jq -c 'map({id, status})' <<<"$jobs")"
for id in "${held[@]}"; do curl -s -X DELETE "$API/api/v1/jobs/$id" >/dev/null; done
settle held
jobs=$(burst_jobs held)
[ "$(raw_digest "docker://$DST/mirror/burst:held" 2>/dev/null || true)" = "$last" ] &&
  jq -e 'length == 1 and .[0].status == "succeeded"' <<<"$jobs" >/dev/null &&
  ok "once the runners were free, that one job copied the last push's digest" ||
  not_ok "team/burst:held after the runners were freed: $(jq -c 'map({id, status, error})' <<<"$jobs")"
kill "$hole_pid" 2>/dev/null || true
