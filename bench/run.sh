#!/usr/bin/env bash
# One command for the whole benchmark suite (issue 7). Builds the project's runnable jar and the bench, then runs
# every scenario against real Burnroom nodes and a bare Vert.x relay, each in its own process.
#   bench/run.sh              # all scenarios, twice (~26 min on 2 cores)
#   bench/run.sh --quick      # small sizes, once: checks that the bench itself works (~2 min)
#   bench/run.sh --only=a,b   # a subset; see BenchMain for all --options
# Output: a table on stdout, bench/results/latest.json, docs/bench/{latency,throughput}.svg.
# Set BENCH_SKIP_BUILD=1 to reuse an existing target/burnroom.jar and bench/target/burnroom-bench.jar.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [[ "${BENCH_SKIP_BUILD:-0}" != "1" ]]; then
  mvn -B -q package -DskipTests
  mvn -B -q -f bench/pom.xml package
fi
# 10,000 idle sockets need more descriptors than the usual 1024 on each side
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec java -Xmx2g -XX:-UsePerfData ${BENCH_JVM_FLAGS:-} -Djava.library.path="$root/target/native" -jar bench/target/burnroom-bench.jar --jar=target/burnroom.jar --out="$root" "$@"
