#!/usr/bin/env bash
# The cost of E2EE v2 in Chromium (issue 26, acceptance 4): serves webroot/ and this directory on loopback, opens
# index.html in headless Chromium through chromedriver's W3C WebDriver API (plain curl), waits for the page's JSON,
# prints it and a table. Everything it starts it stops; everything it writes is in one mktemp directory, deleted.
#   bench/e2ee/run.sh                                   # 50 members, 50 messages, 5 leaves (~2-4 min)
#   bench/e2ee/run.sh --members=8 --messages=10 --reps=2  # a quick check that the bench works
#   bench/e2ee/run.sh --dhRotateMs=client                 # the client's own ECDH key turnover (see bench.js)
# Not part of `mvn verify`. Hold /tmp/burnroom-heavy.lock while it runs on a shared machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
query=""
for arg in "$@"; do
  case "$arg" in
    --members=*|--messages=*|--reps=*|--dhRotateMs=*) query="${query:+$query&}${arg#--}" ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
timeout_s="${E2EE_BENCH_TIMEOUT:-1800}"

tmp="$(mktemp -d)"
http_pid=""
driver_pid=""
session=""
cleanup() {
  if [[ -n "$session" ]]; then curl -s -X DELETE "http://127.0.0.1:$driver_port/session/$session" >/dev/null || true; fi
  if [[ -n "$driver_pid" ]]; then kill "$driver_pid" 2>/dev/null || true; wait "$driver_pid" 2>/dev/null || true; fi
  if [[ -n "$http_pid" ]]; then kill "$http_pid" 2>/dev/null || true; wait "$http_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
json_field() { # json_field EXPR: evaluates a Python expression over the JSON document `d` read from stdin
  python3 -c "import json, sys; d = json.load(sys.stdin); v = $1; print(v if isinstance(v, str) else json.dumps(v))"
}

mkdir "$tmp/www"
ln -s "$root/webroot" "$tmp/www/webroot"
ln -s "$root/bench/e2ee" "$tmp/www/e2ee"
http_port="$(free_port)"
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$http_port" >/dev/null 2>&1 &
http_pid=$!

driver_port="$(free_port)"
TMPDIR="$tmp" /usr/bin/chromedriver --port="$driver_port" --log-path="$tmp/chromedriver.log" >/dev/null 2>&1 &
driver_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$driver_port/status" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$http_port/e2ee/index.html" >/dev/null 2>&1 && break
  sleep 0.1
done

caps=$(cat <<EOF
{"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium",
 "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--user-data-dir=$tmp/profile"]}}}}
EOF
)
reply="$(curl -s -X POST -H 'Content-Type: application/json' -d "$caps" "http://127.0.0.1:$driver_port/session")"
session="$(printf '%s' "$reply" | json_field 'd["value"].get("sessionId", "")')"
if [[ -z "$session" ]]; then echo "no WebDriver session: $reply" >&2; exit 1; fi
wd() { # wd METHOD PATH [BODY]
  curl -s -X "$1" -H 'Content-Type: application/json' ${3:+-d "$3"} "http://127.0.0.1:$driver_port/session/$session$2"
}
wd POST /url "{\"url\": \"http://127.0.0.1:$http_port/e2ee/index.html${query:+?$query}\"}" >/dev/null

result=""
last=""
end=$((SECONDS + timeout_s))
while (( SECONDS < end )); do
  sleep 2
  reply="$(wd POST /execute/sync '{"script": "return [document.getElementById(\"status\").textContent, window.__bench ? JSON.stringify(window.__bench) : null]", "args": []}')"
  state="$(printf '%s' "$reply" | json_field 'd["value"][0] if isinstance(d["value"], list) else "no page: " + json.dumps(d["value"])[:300]')"
  if [[ "$state" != "$last" ]]; then echo "[${SECONDS}s] $state" >&2; last="$state"; fi
  result="$(printf '%s' "$reply" | json_field 'd["value"][1] if isinstance(d["value"], list) and d["value"][1] else ""')"
  [[ -n "$result" ]] && break
done
if [[ -z "$result" ]]; then echo "no result within ${timeout_s}s" >&2; exit 1; fi

printf '%s\n' "$result"
RESULT="$result" python3 - <<'PY'
import json, os, sys
r = json.loads(os.environ["RESULT"])
if "error" in r:
    print(json.dumps(r, indent=1), file=sys.stderr)
    sys.exit(1)
n = r["members"]
def row(what, s):
    print(f"| {what} | {s['median']} | {s['p95']} | {s['min']}–{s['max']} | {s['n']} |")
browser = r["userAgent"].split(") ")[-1]
print(f"\n{browser}, {r['cores']} cores, {n} members, room built in {r['build_ms'] / 1000:.1f} s\n")
print("| what (ms) | median | p95 | min–max | n |")
print("|---|---|---|---|---|")
row(f"join of the {n}th member: start() → everyone settled", r["join_last"]["settled_ms"])
row("send(): call → frame handed to the socket", r["messages_concurrent"]["send_ms"])
row("receive, one receiver at a time: arrival → message event", r["messages_one_by_one"]["receive_ms"])
row(f"receive, all {n - 1} at once in one tab: arrival → message event", r["messages_concurrent"]["receive_ms"])
row(f"send() → shown by all {n - 1} others (one tab)", r["messages_concurrent"]["fanout_ms"])
a = r["rekey_alone"]
print(f"| one rekey alone: seal one bundle for {a['recipients']} | {a['seal_ms']} | | | 1 |")
row("one receiver opens and installs that bundle", a["open_ms"])
if a.get("open_steps_ms"):
    print(f"| of which (medians): {', '.join(f'{k} {v}' for k, v in a['open_steps_ms'].items())} | | | | |")
row(f"leave() of 1 of {n} → {n - 1} settled on new epochs (one tab)", r["leave_rekey"]["rekey_ms"])
print(f"\nwarnings: {r['warning_count']}; rekeys during messages: {r['messages_concurrent']['rekeys_during']}, "
      f"{r['messages_one_by_one']['rekeys_during']}; most epochs per member per leave: {r['leave_rekey']['max_epochs_per_member']}")
PY
