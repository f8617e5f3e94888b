#!/usr/bin/env bash
# Burnroom: a 3-node cluster on one machine behind a real haproxy, in one command.
#
#   deploy/cluster.sh          start in the foreground; Ctrl-C (or SIGTERM) stops everything
#   deploy/cluster.sh stop     stop a cluster started from another terminal (same LB_PORT)
#
# Everything goes to stdout/stderr, each line prefixed with its process ([node1], [haproxy], [cluster]).
# Nothing is written to disk: no log files, no pid files on disk, and the haproxy configuration is handed to
# haproxy on an anonymous pipe (bash process substitution, /dev/fd/N), never as a file. The only file this script
# creates is the supervisor's pid in $XDG_RUNTIME_DIR (or /dev/shm), both RAM-backed tmpfs, so `stop` can find it.
#
# Ports and settings (environment, all optional):
#   LB_HOST=127.0.0.1 LB_PORT=8080         where haproxy listens (the only port users need)
#   CHAT_PORTS="8081 8082 8083"            the nodes' chat ports (bound to NODE_HOST)
#   MGMT_PORTS="9091 9092 9093"            the nodes' management ports (metrics, health; always 127.0.0.1)
#   HAZELCAST_PORTS="5701 5702 5703"       the nodes' Hazelcast member ports (bound to NODE_HOST)
#   NODE_HOST=127.0.0.1                    interface for chat and cluster traffic
#   CLUSTER_NAME=burnroom-local            Hazelcast cluster name (different names never meet)
#   BURNROOM_JAR=target/burnroom.jar       the runnable jar (mvn -B package -DskipTests)
#   JAVA=java  HAPROXY=haproxy             binaries
#   JAVA_OPTS=""                           extra JVM options, e.g. -Xmx512m
#   BURNROOM_*                             any node setting (docs/deploy.md), passed to every node unchanged,
#                                          e.g. BURNROOM_FAILURE_DETECT_SECONDS=3 BURNROOM_MIN_TTL_SECONDS=60
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

LB_HOST="${LB_HOST:-127.0.0.1}"
LB_PORT="${LB_PORT:-8080}"
NODE_HOST="${NODE_HOST:-127.0.0.1}"
read -r -a chat_ports <<<"${CHAT_PORTS:-8081 8082 8083}"
read -r -a mgmt_ports <<<"${MGMT_PORTS:-9091 9092 9093}"
read -r -a hz_ports <<<"${HAZELCAST_PORTS:-5701 5702 5703}"
CLUSTER_NAME="${CLUSTER_NAME:-burnroom-local}"
BURNROOM_JAR="${BURNROOM_JAR:-$root/target/burnroom.jar}"
JAVA="${JAVA:-java}"
HAPROXY="${HAPROXY:-haproxy}"
JAVA_OPTS="${JAVA_OPTS:-}"

# The documented node flags; keep in sync with pom.xml (hazelcast.jvm.flags + nodisk.jvm.flags + native.jvm.flags).
# DeployIT checks that every flag the build tests with is on each node's command line.
HAZELCAST_FLAGS="--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
--add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
--add-opens java.management/sun.management=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED"
NODISK_FLAGS="-XX:-UsePerfData -Dvertx.disableFileCPResolving=true -Dvertx.disableFileCaching=true \
-Dhazelcast.logging.type=jdk -XX:+DisableAttachMechanism -XX:+ErrorFileToStderr -XX:-CreateCoredumpOnCrash"
# Netty's epoll library, unpacked by the build beside the jar and read in place (pom.xml native.jvm.flags).
NATIVE_FLAGS="-Djava.library.path=$(dirname "$BURNROOM_JAR")/native"

run_dir="${XDG_RUNTIME_DIR:-/dev/shm}"
pid_file="$run_dir/burnroom-cluster-$LB_PORT.pid"

say() { printf '[cluster] %s\n' "$*"; }
die() { printf 'cluster.sh: %s\n' "$1" >&2; exit "${2:-1}"; }

stop_running() {
  [[ -r "$pid_file" ]] || die "no cluster on LB_PORT=$LB_PORT is running (no $pid_file)"
  local pid
  pid="$(cat "$pid_file")"
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pid_file"
    die "the cluster on LB_PORT=$LB_PORT is already gone"
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 450); do
    kill -0 "$pid" 2>/dev/null || { echo "cluster.sh: stopped"; return 0; }
    sleep 0.1
  done
  die "the cluster supervisor (pid $pid) did not stop within 45 s"
}

case "${1:-start}" in
  start) ;;
  stop) stop_running; exit 0 ;;
  -h|--help|help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown command '$1' (use: start | stop)" 2 ;;
esac

# ---- preflight: fail early and say what is missing ----
command -v "$HAPROXY" >/dev/null 2>&1 \
  || die "haproxy not found (HAPROXY=$HAPROXY): install it, e.g. 'apt-get install -y haproxy'" 3
command -v "$JAVA" >/dev/null 2>&1 || die "java not found (JAVA=$JAVA): install a JDK 17+" 3
command -v curl >/dev/null 2>&1 || die "curl not found: it is used to wait for node readiness" 3
[[ -f "$BURNROOM_JAR" ]] || die "jar not found: $BURNROOM_JAR (build it: mvn -B package -DskipTests)" 4
n="${#chat_ports[@]}"
(( n >= 1 && n == ${#mgmt_ports[@]} && n == ${#hz_ports[@]} )) \
  || die "CHAT_PORTS, MGMT_PORTS and HAZELCAST_PORTS must list the same number of ports" 2
if [[ -e "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  die "a cluster is already running on LB_PORT=$LB_PORT (pid $(cat "$pid_file")); stop it: $0 stop" 5
fi

# A node that cannot bind its port takes long to give up; say so now instead.
in_use() { (: <"/dev/tcp/$1/$2") 2>/dev/null; }
in_use "$LB_HOST" "$LB_PORT" && die "$LB_HOST:$LB_PORT (LB_PORT) is already in use" 5
for p in "${chat_ports[@]}" "${hz_ports[@]}"; do
  in_use "$NODE_HOST" "$p" && die "$NODE_HOST:$p is already in use (see CHAT_PORTS / HAZELCAST_PORTS)" 5
done
for p in "${mgmt_ports[@]}"; do
  in_use 127.0.0.1 "$p" && die "127.0.0.1:$p is already in use (see MGMT_PORTS)" 5
done

members=""
for p in "${hz_ports[@]}"; do members="${members:+$members,}$NODE_HOST:$p"; done

# ---- supervision ----
node_pids=()
haproxy_pid=""
stopping=0

cleanup() {
  (( stopping )) && return 0
  stopping=1
  trap - INT TERM
  say "stopping"
  local all=("${node_pids[@]}")
  [[ -n "$haproxy_pid" ]] && all+=("$haproxy_pid")
  for pid in "${all[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Nodes leave the cluster gracefully on SIGTERM (well under 30 s); anything still there after 40 s is killed.
  for _ in $(seq 1 400); do
    local alive=0
    for pid in "${all[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.1
  done
  for pid in "${all[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$pid_file"
  say "stopped"
}
on_signal() { cleanup; exit 0; }
trap on_signal INT TERM
trap cleanup EXIT

mkdir -p "$run_dir"
echo $$ >"$pid_file"

prefix() { sed -u "s/^/[$1] /"; }

start_node() {
  local i="$1" name="node$(( $1 + 1 ))"
  # shellcheck disable=SC2086  # the flag lists are meant to split into words
  BURNROOM_CLUSTER=true \
  BURNROOM_CLUSTER_NAME="$CLUSTER_NAME" \
  BURNROOM_CLUSTER_HOST="$NODE_HOST" \
  BURNROOM_CLUSTER_PORT="${hz_ports[$i]}" \
  BURNROOM_CLUSTER_MEMBERS="$members" \
  BURNROOM_HTTP_HOST="$NODE_HOST" \
  BURNROOM_HTTP_PORT="${chat_ports[$i]}" \
  BURNROOM_MGMT_HOST=127.0.0.1 \
  BURNROOM_MGMT_PORT="${mgmt_ports[$i]}" \
  BURNROOM_TRUSTED_PROXIES="${BURNROOM_TRUSTED_PROXIES:-$NODE_HOST}" \
    "$JAVA" $HAZELCAST_FLAGS $NODISK_FLAGS $NATIVE_FLAGS $JAVA_OPTS -Dburnroom.node="$name" -jar "$BURNROOM_JAR" \
    </dev/null > >(prefix "$name") 2>&1 &
  node_pids[$i]=$!
  say "$name starting (pid ${node_pids[$i]}, chat $NODE_HOST:${chat_ports[$i]}, mgmt 127.0.0.1:${mgmt_ports[$i]}, hazelcast $NODE_HOST:${hz_ports[$i]})"
}

# await_url PID URL TRIES EXITED_MESSAGE LATE_MESSAGE: poll URL every 0.1 s while PID lives.
await_url() {
  local pid="$1" url="$2" tries="$3"
  for _ in $(seq 1 "$tries"); do
    kill -0 "$pid" 2>/dev/null || die "$4" 1
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  die "$5" 1
}

await_ready() {
  local i="$1" name="node$(( $1 + 1 ))"
  await_url "${node_pids[$i]}" "http://127.0.0.1:${mgmt_ports[$i]}/health/ready" 1200 \
    "$name exited before it was ready (is a port already in use?)" "$name not ready within 120 s"
}

haproxy_config() {
  cat <<CFG
# Generated by deploy/cluster.sh and handed over on a pipe; never stored.
global
    # No maxconn: haproxy derives it from the file-descriptor limit it is given.
    # No 'log' directive on purpose: haproxy's access log would record client IPs and URL paths (room ids).
    hard-stop-after 10s

defaults
    mode http
    option http-server-close
    timeout connect 3s
    timeout http-request 10s
    timeout client 30s
    timeout server 30s
    # After the WebSocket upgrade only the tunnel timeout applies. Nodes send a tick at least every 10 s and
    # clients ping, so an hour of silence means the peer is gone.
    timeout tunnel 1h
    timeout client-fin 5s
    timeout server-fin 5s
    # A request that reached a dead node before its health check failed is retried on another one.
    retries 2
    option redispatch

frontend chat
    bind $LB_HOST:$LB_PORT
    # Nodes key per-source limits (room creation, PIN lockout) on the client's address: drop whatever a client
    # claims and append the address haproxy really sees (nodes trust it from BURNROOM_TRUSTED_PROXIES only).
    http-request del-header X-Forwarded-For
    option forwardfor
    default_backend nodes

backend nodes
    # Round robin, no stickiness: any node serves any room (P4); rooms are reached over the event bus.
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health/ready
    http-check expect status 200
    # A node that stops answering is out within ~2 s; its open WebSockets are cut so clients reconnect elsewhere.
    default-server inter 1s fastinter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
CFG
  local i
  for i in "${!chat_ports[@]}"; do
    printf '    server node%d %s:%s check\n' "$(( i + 1 ))" "$NODE_HOST" "${chat_ports[$i]}"
  done
}

start_haproxy() {
  # -db: stay in the foreground under this supervisor; -f /dev/fd/N: the configuration arrives on a pipe.
  "$HAPROXY" -db -f <(haproxy_config) </dev/null > >(prefix haproxy) 2>&1 &
  haproxy_pid=$!
  await_url "$haproxy_pid" "http://$LB_HOST:$LB_PORT/health/ready" 100 \
    "haproxy exited (is $LB_HOST:$LB_PORT already in use?)" "haproxy did not answer on $LB_HOST:$LB_PORT within 10 s"
}

say "starting $n nodes of cluster '$CLUSTER_NAME' from $BURNROOM_JAR"
# The first node forms the cluster; the others then join it (starting all at once can briefly form two clusters).
start_node 0
await_ready 0
for (( i = 1; i < n; i++ )); do start_node "$i"; done
for (( i = 1; i < n; i++ )); do await_ready "$i"; done
start_haproxy
say "Burnroom cluster ready: http://$LB_HOST:$LB_PORT ($n nodes behind haproxy pid $haproxy_pid; stop with Ctrl-C or '$0 stop')"

# Keep supervising: a single node may die (that is what failover is for); the cluster stops when asked or when
# haproxy itself is gone.
while kill -0 "$haproxy_pid" 2>/dev/null; do
  wait -n 2>/dev/null || sleep 0.2
done
say "haproxy exited"
exit 1
