#!/usr/bin/env bash
# Cluster mode, live: the local stack in cluster mode (scripts/stack.sh up-cluster, STACK_FAST=1:
# 1 s scrapes, the sync every 5 s, job_lease 6s): a real PostgreSQL 15 that asks for a password
# (scram-sha-256), and three `serve` replicas that read it from state_password_file and share the
# jobs. Checks that
#   1. every replica answers /health, /ready and /metrics; Prometheus scrapes each as its own
#      instance (up == 1 for three); the password is in no log;
#   2. the first scheduled sync succeeded and the destination's digests are the source's; the
#      schedule ran once per interval, not once per replica;
#   3. a job submitted to replica 1 is read, the same, through replicas 2 and 3, and ran once;
#   4. a replica running a job is SIGKILLed: another takes the job over once its lease expires
#      (freightliner_job_lease_takeovers_total), and a cancel through a third replica stops it;
#      jobs submitted to the survivors succeed, the schedule goes on there, Prometheus sees the
#      dead target down and FreightlinerReplicaDown (a warning) fires for it, not FreightlinerDown:
#      a replica down is not the service down while others run.
#
#   tests/e2e/cluster_stack.sh PATH/TO/freightliner
. "$(dirname "$0")/lib.sh"
e2e_init cluster "${1:?usage: cluster_stack.sh FREIGHTLINER_BINARY}"
export STACK_FAST=1
. "$ROOT/scripts/lib/registries.sh"

stack_up up-cluster
ok "cluster stack up; first scheduled sync: $(grep -m1 '^sync ' "$STACK_DIR.up.log")"
grep -q '^  the first sync, job-[0-9a-f]*, ran on replica [123] ' "$STACK_DIR.up.log" &&
  ok "the report names the replica that ran it" || not_ok "the report does not say which replica ran the first sync"

apis=("$API_1" "$API_2" "$API_3")
metrics=("$METRICS_1" "$METRICS_2" "$METRICS_3")
submit() {  # submit API JSON -> job id
  curl -sf -H 'Content-Type: application/json' -d "$2" "$1/api/v1/replicate" | jq -r .job_id
}
wait_job_at() {  # wait_job_at API ID [TRIES] -> final status (lib.sh's wait_job asks $API)
  API=$1 wait_job "$2" "${3:-600}"
}
promql() {  # promql EXPR -> the first result's value, or "none"
  curl -sf --get --data-urlencode "query=$1" "$PROMETHEUS/api/v1/query" |
    jq -r '.data.result[0].value[1] // "none"' || echo none
}
db() {  # db SQL -> rows, fields separated by |
  PGPASSWORD=$(cat "$POSTGRES_PASSWORD_FILE") psql -X -q -tA "$POSTGRES" -c "$1"
}
replica_of_owner() {  # replica_of_owner HOST:PID -> the replica's index (0-based), or nothing
  local i
  for i in 0 1 2; do
    [ "${1##*:}" = "$(cat "$STACK_DIR/serve-$((i + 1))/pid")" ] && echo "$i"
  done
  return 0
}
metric() {  # metric URL NAME -> its value (unlabelled series), or "none"
  curl -sf "$1" | awk -v name="$2" '$1 == name { print $2; found = 1 } END { if (!found) print "none" }'
}
metric_reaches() {  # metric_reaches URL NAME VALUE TRIES -> the last value read (0.1 s apart)
  local value=none
  for _ in $(seq 1 "$4"); do
    value=$(metric "$1" "$2")
    [ "$value" = "$3" ] && break
    sleep 0.1
  done
  echo "$value"
}

# 1. Three replicas, each answering and scraped as its own instance.
for i in 0 1 2; do
  r=$((i + 1))
  [ "$(curl -s -o /dev/null -w '%{http_code}' "${apis[$i]}/health")" = 200 ] &&
    [ "$(curl -s "${apis[$i]}/ready" | jq -r .status)" = ready ] &&
    ok "replica $r answers /health and /ready" || not_ok "replica $r: /health or /ready"
  [ "$(metric "${metrics[$i]}" freightliner_jobs_queued)" != none ] &&
    ok "replica $r exports metrics (freightliner_jobs_queued $(metric "${metrics[$i]}" freightliner_jobs_queued))" ||
    not_ok "replica $r: no freightliner_jobs_queued at ${metrics[$i]}"
  grep -q "state in $POSTGRES, shared" "$STACK_DIR/serve-$r/serve.log" &&
    ok "replica $r keeps its jobs in PostgreSQL" || not_ok "replica $r does not say it uses $POSTGRES"
done
instances=$(curl -sf --get --data-urlencode 'query=up{job="freightliner"} == 1' "$PROMETHEUS/api/v1/query" |
  jq -r '[.data.result[] | .metric.instance] | sort | join(" ")')
want=$(for m in "${metrics[@]}"; do m=${m#http://}; echo "${m%/metrics}"; done | sort | paste -sd' ')
[ "$instances" = "$want" ] && ok "Prometheus: up == 1 for the three instances ($instances)" ||
  not_ok "Prometheus: up == 1 for '$instances', not '$want'"
[ "$(curl -sf --get --data-urlencode 'query=count(count by (pod) (up{job="freightliner"}))' "$PROMETHEUS/api/v1/query" |
  jq -r '.data.result[0].value[1]')" = 3 ] && ok "each replica is its own pod" || not_ok "pod labels not distinct"
password=$(cat "$POSTGRES_PASSWORD_FILE")
[[ $POSTGRES != *"$password"* ]] && ! grep -rqF "$password" "$STACK_DIR"/serve-*/serve.log "$STACK_DIR.up.log" &&
  ok "the database password is in neither the URL nor any log" || not_ok "the database password leaked"

# 2. The first sync, the destination, and one scheduled run per interval.
grep -q '^sync job-[0-9a-f]*: succeeded' "$STACK_DIR.up.log" && ok "the first sync succeeded" ||
  not_ok "first sync: $(grep -m1 '^sync ' "$STACK_DIR.up.log")"
for image in app:v1 app:v2 app:v3 tools:1.0; do
  s=$(raw_digest "docker://$SRC/team/$image")
  d=$(raw_digest "docker://$DST/mirror/$image" 2>/dev/null || echo missing)
  [ "$s" = "$d" ] && ok "mirror/$image at the destination as $d" || not_ok "mirror/$image: $d, the source has $s"
done
# Three schedulers race for each 5 s interval; the store gives it to one. Runs closer than half an
# interval would be one interval's run, twice.
created=$(curl -sf "$API_2/api/v1/jobs?type=sync&limit=1000" |
  jq -r '[.jobs[] | select(.trigger == "schedule") | .created_at] | sort | .[]')
runs=$(wc -l <<<"$created")
closest=$(awk 'NR > 1 { d = $1 - prev; if (min == "" || d < min) min = d } { prev = $1 } END { print (min == "" ? 99 : min) }' <<<"$created")
[ "$runs" -ge 2 ] && awk -v m="$closest" 'BEGIN { exit !(m >= 2.5) }' &&
  ok "$runs scheduled runs, once per interval (closest $closest s apart)" ||
  not_ok "$runs scheduled runs, closest $closest s apart"

# 3. Any replica answers for all.
job=$(submit "$API_1" "{\"source\":\"$SRC/team/app:v2\",\"destination\":\"$DST/e2e/app:v2\"}")
seen=$(curl -sf "$API_2/api/v1/jobs/$job" | jq -c '{id, type, request}' || true)
[ -n "$job" ] && [ "$seen" = "$(curl -sf "$API_1/api/v1/jobs/$job" | jq -c '{id, type, request}')" ] &&
  ok "a job submitted to replica 1 ($job) is read through replica 2" || not_ok "replica 2 sees '$seen' for '$job'"
[ "$(wait_job_at "$API_3" "$job")" = succeeded ] && ok "it succeeded, as replica 3 reports" || not_ok "job $job, through replica 3"
curl -sf "$API_2/api/v1/jobs?type=replicate&limit=1000" | jq -e --arg id "$job" 'any(.jobs[]; .id == $id)' >/dev/null &&
  ok "replica 2 lists it" || not_ok "replica 2 does not list $job"
[ "$(raw_digest "docker://$DST/e2e/app:v2")" = "$(raw_digest "docker://$SRC/team/app:v2")" ] &&
  ok "its copy has the source's digest" || not_ok "e2e/app:v2 differs from the source"
row=$(db "SELECT owner, fence FROM jobs WHERE id = '$job'")
[ -n "$(replica_of_owner "${row%|*}")" ] && [ "${row#*|}" = 1 ] &&
  ok "it ran once, on replica $(($(replica_of_owner "${row%|*}") + 1)) (owner ${row%|*}, lease 1)" ||
  not_ok "jobs row of $job: '$row'"

# 4. A replica dies mid-job. The job's destination accepts connections and never answers, so the
# job runs until canceled (a stalled transfer fails only after 60 s).
stall_port=$(free_port)
timeout 120 node -e 'require("net").createServer(() => {}).listen(+process.argv[1], "127.0.0.1")' \
  "$stall_port" > /dev/null 2>&1 &
stall_pid=$!
for _ in $(seq 1 50); do ss -Htln "sport = :$stall_port" | grep -q . && break; sleep 0.1; done
stuck=$(submit "$API_1" "{\"source\":\"$SRC/team/app:v1\",\"destination\":\"127.0.0.1:$stall_port/e2e/app:v1\"}")
for _ in $(seq 1 100); do
  [ "$(curl -sf "$API_1/api/v1/jobs/$stuck" | jq -r .status)" = running ] && break
  sleep 0.1
done
owner=$(db "SELECT owner FROM jobs WHERE id = '$stuck'")
victim=$(replica_of_owner "$owner")
if [ -z "$victim" ]; then
  not_ok "job $stuck is not running on a replica (owner '$owner')"
  kill "$stall_pid"
  exit 1
fi
ok "job $stuck runs on replica $((victim + 1))"
kill -KILL "$(cat "$STACK_DIR/serve-$((victim + 1))/pid")"
killed_at=$(date +%s)
a=$(((victim + 1) % 3)) b=$(((victim + 2) % 3))
echo "SIGKILLed replica $((victim + 1)); replicas $((a + 1)) and $((b + 1)) remain"

# Jobs submitted to the survivors run at once, whatever the dead replica's leases.
for pair in "$a $b" "$b $a"; do
  read -r to via <<<"$pair"
  j=$(submit "${apis[$to]}" "{\"source\":\"$SRC/team/tools:1.0\",\"destination\":\"$DST/e2e/tools-$to:1.0\"}")
  [ -n "$j" ] && [ "$(wait_job_at "${apis[$via]}" "$j" 300)" = succeeded ] &&
    [ "$(raw_digest "docker://$DST/e2e/tools-$to:1.0")" = "$(raw_digest "docker://$SRC/team/tools:1.0")" ] &&
    ok "after the kill, a job submitted to replica $((to + 1)) succeeded (read through replica $((via + 1)))" ||
    not_ok "after the kill, job '$j' submitted to replica $((to + 1))"
done

# The stuck job's lease expires (6 s after its last renewal); a survivor takes it over.
new_owner=$owner
for _ in $(seq 1 200); do
  new_owner=$(db "SELECT owner FROM jobs WHERE id = '$stuck'")
  [ "$new_owner" != "$owner" ] && break
  sleep 0.1
done
taker=$(replica_of_owner "$new_owner")
if [ -n "$taker" ] && [ "$taker" != "$victim" ] && [ "$(db "SELECT fence FROM jobs WHERE id = '$stuck'")" = 2 ]; then
  ok "replica $((taker + 1)) took $stuck over $(($(date +%s) - killed_at)) s after the kill (lease 2)"
else
  not_ok "no takeover of $stuck (owner '$new_owner')"
  kill "$stall_pid"
  exit 1
fi
takeovers=$(metric_reaches "${metrics[$taker]}" freightliner_job_lease_takeovers_total 1 30)
[ "$takeovers" = 1 ] && grep -q "job $stuck: taken over from $owner" "$STACK_DIR/serve-$((taker + 1))/serve.log" &&
  ok "the taker counts it (freightliner_job_lease_takeovers_total 1) and logs it" ||
  not_ok "freightliner_job_lease_takeovers_total on the taker: $takeovers"
other=$(( taker == a ? b : a ))
[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "${apis[$other]}/api/v1/jobs/$stuck")" = 202 ] &&
  [ "$(wait_job_at "${apis[$taker]}" "$stuck" 100)" = canceled ] &&
  ok "canceled through replica $((other + 1))" || not_ok "cancel of $stuck through replica $((other + 1))"
active=$(metric_reaches "${metrics[$taker]}" freightliner_jobs_active 0 100)
[ "$active" = 0 ] && ok "replica $((taker + 1)) stopped running it" || not_ok "replica $((taker + 1)): jobs_active $active"
kill "$stall_pid" 2>/dev/null || true

# The schedule goes on, on the survivors.
run=""
for _ in $(seq 1 200); do
  run=$(curl -sf "${apis[$a]}/api/v1/jobs?type=sync&limit=1000" | jq -r --argjson t "$killed_at" \
    '[.jobs[] | select(.trigger == "schedule" and .created_at > $t + 1 and .status == "succeeded")] | .[0].id // empty')
  [ -n "$run" ] && break
  sleep 0.1
done
runner=$(replica_of_owner "$(db "SELECT owner FROM jobs WHERE id = '$run'")")
[ -n "$run" ] && [ -n "$runner" ] && [ "$runner" != "$victim" ] &&
  ok "a scheduled run after the kill ($run) succeeded on replica $((runner + 1))" ||
  not_ok "no scheduled run succeeded after the kill (last '$run')"

# Prometheus sees the dead target, and the on-call hears of it.
dead=${metrics[$victim]#http://}
dead=${dead%/metrics}
for _ in $(seq 1 100); do
  [ "$(promql "up{job=\"freightliner\",instance=\"$dead\"}")" = 0 ] && [ "$(promql 'count(up{job="freightliner"} == 1)')" = 2 ] && break
  sleep 0.2
done
[ "$(promql "up{job=\"freightliner\",instance=\"$dead\"}")" = 0 ] && [ "$(promql 'count(up{job="freightliner"} == 1)')" = 2 ] &&
  ok "Prometheus: $dead down, the two others up" || not_ok "Prometheus does not see $dead down and two up"
# Asked of Alertmanager itself, not of the sink: a notification may wait for its group's
# group_interval when the group was notified before (a scrape missed under load at start, say).
# A warning: Slack's warning channel and the platform team's, no PagerDuty.
warned=no
for _ in $(seq 1 60); do
  if curl -s "$ALERTMANAGER/api/v2/alerts?active=true" | jq -e --arg i "$dead" \
    'any(.[]; .labels.alertname == "FreightlinerReplicaDown" and .labels.instance == $i and
              .labels.severity == "warning" and
              ([.receivers[].name] | index("slack-warning") and index("slack-platform") and (index("pagerduty-critical") | not)))' >/dev/null 2>&1; then
    warned=yes
    break
  fi
  sleep 1
done
[ "$warned" = yes ] && ok "FreightlinerReplicaDown for $dead is active in Alertmanager, routed to Slack (warning, platform), not PagerDuty" ||
  not_ok "FreightlinerReplicaDown for $dead never became active in Alertmanager with its receivers"
# The two others run: the service is not down. Asked of Alertmanager (any state) and of Prometheus
# (firing or pending), well past FreightlinerDown's for: (5s here).
down=$(curl -s "$ALERTMANAGER/api/v2/alerts" | jq '[.[] | select(.labels.alertname == "FreightlinerDown")] | length')
pdown=$(curl -s "$PROMETHEUS/api/v1/alerts" | jq '[.data.alerts[] | select(.labels.alertname == "FreightlinerDown")] | length')
[ "$down" = 0 ] && [ "$pdown" = 0 ] && ok "FreightlinerDown is not active (Alertmanager and Prometheus): two replicas run" ||
  not_ok "FreightlinerDown is active with two replicas up (Alertmanager: $down, Prometheus: $pdown)"
status=$(bash "$ROOT/scripts/stack.sh" status)
grep -qx "serve-$((victim + 1)): stopped" <<<"$status" && grep -qx "serve-$((a + 1)): running ([0-9]*)" <<<"$status" &&
  grep -qx "serve-$((b + 1)): running ([0-9]*)" <<<"$status" && grep -qx 'postgres: running ([0-9]*)' <<<"$status" &&
  ok "stack.sh status: PostgreSQL and two replicas running, replica $((victim + 1)) stopped" || not_ok "stack.sh status: $status"
[ "$failed" -eq 0 ]
