#!/usr/bin/env bash
# The study-store runs of docs/benchmarks.md, one after another (each at most 30 s of load,
# each bounded by `timeout`). Usage, from the repository root:
#
#   benchmarks/run_store_benchmarks.sh [OUT_DIR]      (default benchmarks/results/<date>)
#
# Every run writes OUT_DIR/<name>.log (what it printed) and OUT_DIR/<name>.json.
# Then: .venv/bin/python benchmarks/results_table.py OUT_DIR/*.json
# ONLY=REGEX runs only the runs whose name matches, e.g. ONLY='^2[0-2]-'.
set -u
cd "$(dirname "$0")/.."
out=${1:-benchmarks/results/$(date -u +%Y-%m-%d)}
mkdir -p "$out"
py=.venv/bin/python

run() {
    local name=$1
    shift
    if [[ -n "${ONLY:-}" && ! $name =~ $ONLY ]]; then
        return
    fi
    echo "=== $name: benchmarks/store_load.py $*"
    timeout 600 "$py" benchmarks/store_load.py --json "$out/$name.json" "$@" >"$out/$name.log" 2>&1
    echo "$name: exit $? - $(grep -E '^(INTEGRITY|FAULT RUN):' "$out/$name.log")"
}

# Capacity: 50 clients, closed loop (each sends its next write when the last is acknowledged).
run 01-pg-w2 --workers 2 --seconds 20
run 02-pg-w1 --workers 1 --seconds 20
run 03-pg-w2-fsync --workers 2 --seconds 20 --durable
run 04-sqlite-w1 --backend sqlite --workers 1 --seconds 20
run 05-sqlite-w2 --backend sqlite --workers 2 --seconds 20
# The goal as a rate: 50 clients offering 300 writes/s in all (open loop), and 100 writes/s.
run 06-pg-w2-rate300 --workers 2 --seconds 20 --rate 300
run 07-pg-w2-rate100 --workers 2 --seconds 20 --rate 100
# One client: the serial path, no contention.
run 08-pg-w1-1client --workers 1 --seconds 20 --clients 1
run 09-pg-w2-1client --workers 2 --seconds 20 --clients 1
# Fault runs: SIGKILL to the server's process group a third into the load, restart, retry.
run 10-fault-pg-w2 --workers 2 --seconds 30 --fault
run 11-fault-pg-w1 --workers 1 --seconds 30 --fault
run 12-fault-pg-w2-fsync --workers 2 --seconds 30 --fault --durable
# Where the time goes: the audit-chain lock, timed inside the server (benchmarks/experiments).
run 13-lockwatch-pg-w2 --workers 2 --seconds 20 --lockwatch
run 14-lockwatch-pg-w1-1client --workers 1 --seconds 20 --clients 1 --lockwatch
# Experiments (server-side settings only, src/ untouched).
run 15-exp-nodelay-w2 --workers 2 --seconds 20 --experiment nodelay
run 16-exp-nodelay-w2-1client --workers 2 --seconds 20 --clients 1 --experiment nodelay
run 17-exp-threads8-w2 --workers 2 --seconds 20 --experiment threads=8 --lockwatch
run 18-pyspy-pg-w1-1client --workers 1 --seconds 20 --clients 1 --py-spy "$out/18-pyspy.raw"
run 19-pyspy-pg-w2 --workers 2 --seconds 20 --py-spy "$out/19-pyspy.raw"
# The chain lock under other server shapes: appended once just before COMMIT; more processes
# with fewer threads each (so the lock holder competes with fewer threads for its GIL).
run 20-exp-latechain-w2 --workers 2 --seconds 20 --experiment latechain --lockwatch
run 21-exp-w4-threads4 --workers 4 --seconds 20 --experiment threads=4 --lockwatch
run 22-exp-w8-threads2 --workers 8 --seconds 20 --experiment threads=2 --lockwatch
echo "ALL DONE"
