#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and shows the story on
# a private MariaDB, a simulated 3-node CloudStack cluster, the exporter and an
# Alertmanager (tests/sim/demo.py tells it). One node is killed like kill -9; its row
# still says Up; the verdict turns up_not_running within seconds and the alert fires.
#
#   bash scripts/demo.sh            keeps running until Ctrl-C, then stops everything
#   bash scripts/demo.sh --no-wait  stops everything right after the story (tests use it)
#   bash scripts/demo.sh --driver postgresql   the same story on PostgreSQL
#
# Everything runs as child processes on 127.0.0.1 with free ports, in a temp folder
# that is removed at the end; nothing is installed as a service or left running.
set -euo pipefail
cd "$(dirname "$0")/.."

demo_args=()
while [ $# -gt 0 ]; do
  arg="$1"; shift
  case "$arg" in
    --no-wait) demo_args+=(--no-wait) ;;
    --driver=*) demo_args+=("$arg") ;;
    --driver) demo_args+=(--driver "${1:-}"); shift || true ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument '$arg' (try --no-wait or --help)" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh
# MSX_BUILD_DIR lets the test suite reuse its own build folder.
build_dir="${MSX_BUILD_DIR:-build}"
echo "demo: building in $build_dir ..."
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j2 --target mshost_exporter >/dev/null
export MSX_BUILD_DIR="$(cd "$build_dir" && pwd)"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/mshost-demo.XXXXXX")"
chmod 755 "$workdir"   # the database server may run as another user

# Safety net behind demo.py's own cleanup: whatever still runs from the work folder
# is killed by PID, then the folder goes.
watchdog_pid=""
cleanup() {
  local pids="" pid
  if [ -n "$watchdog_pid" ]; then   # the watchdog and its sleep, by PID
    kill "$watchdog_pid" $(pgrep -P "$watchdog_pid" 2>/dev/null) 2>/dev/null || true
  fi
  for pid in $(grep -lsF "$workdir" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    # (the grep itself matched too, and is gone by now)
    if [ "$pid" != "$$" ] && [ -e "/proc/$pid" ]; then pids="$pids $pid"; fi
  done
  if [ -n "$pids" ]; then
    echo "demo: killing leftover processes:$pids" >&2
    kill -9 $pids 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT

# demo.py runs in the background of this shell so that a TERM or HUP sent to the
# shell alone is passed on to it; Ctrl-C reaches it directly. Either way the shell
# waits for demo.py's own orderly cleanup, then cleanup() makes sure nothing is left.
# The first signal also starts a watchdog: should demo.py not be done within 60 s,
# it is killed and cleanup() stops what it started. (With `demo.sh | tee log`,
# Ctrl-C ends tee too: demo.py then writes to the terminal through stderr.)
demo_pid=""
on_signal() {
  [ -n "$demo_pid" ] || return 0
  kill -TERM "$demo_pid" 2>/dev/null || true
  if [ -z "$watchdog_pid" ]; then
    ( trap '' INT HUP; sleep 60; kill -KILL "$demo_pid" 2>/dev/null ) </dev/null >/dev/null 2>&1 &
    watchdog_pid=$!
  fi
}
trap on_signal INT TERM HUP
/usr/bin/python3 tests/sim/demo.py --workdir "$workdir" "${demo_args[@]}" <&0 &
demo_pid=$!
status=0
wait "$demo_pid" || status=$?
# A trapped signal ends `wait` early: wait again until demo.py has really finished.
while kill -0 "$demo_pid" 2>/dev/null; do
  status=0
  wait "$demo_pid" || status=$?
done
exit "$status"
