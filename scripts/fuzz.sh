#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (tests/fuzz/, docs/fuzzing.md) and runs all
# three at once for SECONDS each (default 60) over tests/fuzz/corpus/<target>/.
#
#   scripts/fuzz.sh [SECONDS] [--merge]
#   scripts/fuzz.sh --build-only        # build the targets, run nothing
#
# Exits non-zero when any target finds a crash, a leak, a timeout or an
# out-of-memory, and prints where the reproducer is. New inputs go to a scratch
# folder under the build folder, never into the committed corpus, unless --merge is
# given: then the corpus is rewritten as its hand-written files (seed-*, regress-*)
# plus the smallest set of found inputs that keeps the coverage, to be reviewed and
# committed.
# Environment: MSX_FUZZ_BUILD_DIR (default build-fuzz), CXX/CC (default clang++/clang),
# CCACHE_DIR (ccache is used when installed).
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."

seconds=60
merge=0
build_only=0
for arg in "$@"; do
  case "$arg" in
    --merge) merge=1 ;;
    --build-only) build_only=1 ;;
    ''|*[!0-9]*) echo "usage: $0 [SECONDS] [--merge] | --build-only" >&2; exit 2 ;;
    *) seconds=$arg ;;
  esac
done

targets=(config web_config rows)
# Inputs larger than the largest sensible file of each kind only slow the search.
declare -A max_len=([config]=8192 [web_config]=4096 [rows]=4096)

build=${MSX_FUZZ_BUILD_DIR:-build-fuzz}
cxx=${CXX:-$(command -v clang++-14 || command -v clang++ || true)}
cc=${CC:-$(command -v clang-14 || command -v clang || true)}
if [[ -z "$cxx" || -z "$cc" ]]; then
  echo "fuzz.sh: clang not found (scripts/install-deps.sh installs it)" >&2
  exit 2
fi
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

build_start=$SECONDS
if [[ -f "$build/CMakeCache.txt" ]]; then
  # Naming the compiler again, even the same one by another path, empties the cache.
  cmake -S tests/fuzz -B "$build" >/dev/null
else
  cmake -S tests/fuzz -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" \
    "${launcher[@]}" >/dev/null
fi
cmake --build "$build" -j"$(nproc)"
echo "fuzz.sh: build took $((SECONDS - build_start)) s"
if [[ $build_only -eq 1 ]]; then exit 0; fi

run_dir=$build/runs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$run_dir"
pids=()
for t in "${targets[@]}"; do
  mkdir -p "$run_dir/$t/new" "$run_dir/$t/artifacts"
  dict=()
  if [[ -f tests/fuzz/$t.dict ]]; then dict=(-dict="tests/fuzz/$t.dict"); fi
  # The scratch folder comes first: libFuzzer writes what it finds to the first one.
  "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
    -max_len="${max_len[$t]}" -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$run_dir/$t/artifacts/" \
    "$run_dir/$t/new" "tests/fuzz/corpus/$t" </dev/null >"$run_dir/$t/log" 2>&1 &
  pids+=($!)
done
echo "fuzz.sh: fuzzing ${targets[*]} for ${seconds} s each, logs in $run_dir/<target>/log"

failed=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  status=0
  wait "${pids[$i]}" || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$run_dir/$t/log" | grep -o '[0-9]*$' || true)
  found=$(find "$run_dir/$t/new" -type f | wc -l)
  if [[ $status -eq 0 ]]; then
    echo "fuzz_$t: ok (${runs:-?} runs, $found new inputs in $run_dir/$t/new)"
    continue
  fi
  failed=1
  echo "fuzz_$t: FAILED (exit $status); log: $run_dir/$t/log" >&2
  grep -E '^==[0-9]+==ERROR|FUZZ_CHECK|SUMMARY|runtime error|ALARM|out-of-memory' \
    "$run_dir/$t/log" | head -5 >&2 || true
  for artifact in "$run_dir/$t/artifacts"/*; do
    echo "  reproducer: $artifact" >&2
    echo "  replay it:  $build/fuzz_$t $artifact" >&2
  done
done
if [[ $failed -ne 0 ]]; then
  echo "fuzz.sh: a fuzz target failed; docs/fuzzing.md says how to keep the reproducer" >&2
  exit 1
fi

if [[ $merge -eq 1 ]]; then
  for t in "${targets[@]}"; do
    corpus=tests/fuzz/corpus/$t
    minimal=$run_dir/$t/minimal
    mkdir -p "$minimal"
    # Edge coverage only (no hit counters), so the set stays at tens of files.
    "$build/fuzz_$t" -merge=1 -use_counters=0 -max_len="${max_len[$t]}" \
      "$minimal" "$corpus" "$run_dir/$t/new" </dev/null >"$run_dir/$t/merge.log" 2>&1
    # libFuzzer names what it keeps by content hash; files with other names (seed-*,
    # regress-*) were written by people and stay as they are.
    find "$corpus" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
    seed_hashes=$(for seed in "$corpus"/*; do sha1sum <"$seed" | cut -d' ' -f1; done)
    for f in "$minimal"/*; do
      if ! grep -qx "$(basename "$f")" <<<"$seed_hashes"; then
        cp "$f" "$corpus/"
      fi
    done
    echo "fuzz_$t: corpus now $(find "$corpus" -type f | wc -l) files ($corpus)"
  done
  echo "fuzz.sh: review and commit tests/fuzz/corpus/"
fi
