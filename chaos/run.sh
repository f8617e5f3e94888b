#!/usr/bin/env bash
# Chaos: a cluster of real Burnroom nodes behind haproxy, rooms of resuming clients talking through it, and a seeded
# schedule of faults (kill -9, SIGTERM, SIGSTOP, a 1|2 partition, slow lossy links); a checker reads the recorded
# history afterwards and prints its verdict (exit 0 = every rule held). Needs root (a network namespace of its own),
# iptables, python3, haproxy. See docs/reliability.md.
#   chaos/run.sh --minutes=10 --seed=7
#   chaos/run.sh --minutes=2 --seed=1 --nodes=3 --rooms=6 --members=3 --detect=5
# Set CHAOS_SKIP_BUILD=1 to reuse target/burnroom.jar and target/test-classes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
for tool in unshare iptables python3 haproxy setpriv; do
  command -v "$tool" >/dev/null 2>&1 || { echo "chaos/run.sh: $tool not found (see .ci/run for the packages)" >&2; exit 3; }
done
if [[ "${CHAOS_SKIP_BUILD:-0}" != "1" ]]; then
  mvn -B -q package -DskipTests
fi
exec java -XX:-UsePerfData -cp "$root/target/test-classes:$root/target/burnroom.jar" io.burnroom.chaos.ChaosMain \
  --root="$root" "$@"
