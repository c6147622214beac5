#!/usr/bin/env bash
# The README's test command (and what .ci/run calls). Installs what is missing, then:
#   1. builds build/ and runs every suite against it: unit tests, the fuzz corpus
#      replay, and the suites that start their own MariaDB, PostgreSQL, Prometheus and
#      Alertmanager on free loopback ports (in parallel: each uses its own ports and
#      temporary folders, and mostly waits on servers);
#   2. meanwhile, at low priority, builds build-asan/ (AddressSanitizer +
#      UndefinedBehaviorSanitizer), then runs the unit, fuzz-replay and integration
#      suites again against it. Any sanitizer report fails the run, even one from a
#      process a test stopped on purpose;
#   3. builds the libFuzzer targets (build-fuzz/) while step 2's suites run, then runs
#      each for MSX_FUZZ_SECONDS seconds (default 30).
# Arguments go to both ctest runs (e.g. -R exporter). MSX_TEST_SKIP="asan fuzz" skips
# steps 2 and 3 for a quicker local run; CI skips nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
# Suites mostly wait on servers and the clock: more of them than cores keeps the
# machine busy without starving any (measured on 2 cores).
ctest_jobs=$((2 * jobs + 1))
skip=" ${MSX_TEST_SKIP:-} "
failed=()
stage() { echo "== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }
# wait_build PID LOG WHAT STEP: waits for a background build; if it failed, shows the
# log's tail, records the failure and skips the step that needed it.
wait_build() {
  stage "waiting for the $3"
  if ! wait "$1"; then
    tail -n 40 "$2"
    failed+=("$3")
    skip="$skip $4 "
  fi
}

stage "install"
bash scripts/install-deps.sh
stage "build build/"
# Release, as scripts/demo.sh builds it (same folder, no rebuild between the two):
# debug info would add half again to the compile time.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"

asan_build=""
if [[ "$skip" != *" asan "* ]]; then
  mkdir -p build-asan
  # -O0 -g1: with the sanitizers, -O1 -g compiles three times slower (measured on
  # app.cc and evaluator_test.cc) and the suites mostly wait on servers anyway; -g1
  # keeps file:line in reports.
  (
    set -e
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
      -DCMAKE_C_FLAGS_DEBUG="-O0 -g1" -DMSX_SANITIZE=ON
    nice -n 15 cmake --build build-asan -j"$jobs"
  ) >build-asan/build.log 2>&1 &
  asan_build=$!
fi

stage "suites against build/ (the sanitizer build meanwhile: build-asan/build.log)"
(cd build && ctest --output-on-failure --timeout 900 -j"$ctest_jobs" "$@") || failed+=("build/")

if [ -n "$asan_build" ]; then wait_build "$asan_build" build-asan/build.log "sanitizer build" asan; fi

# The fuzz targets build while the sanitizer suites wait on their servers.
fuzz_build=""
if [[ "$skip" != *" fuzz "* ]]; then
  mkdir -p build-fuzz
  nice -n 15 bash scripts/fuzz.sh --build-only >build-fuzz/build.log 2>&1 &
  fuzz_build=$!
fi

if [[ "$skip" != *" asan "* ]]; then
  reports=$PWD/build-asan/sanitizer-reports
  rm -rf "$reports" && mkdir -p "$reports"
  # Reports go to files so that a report from a process a test stops or kills on
  # purpose (its stderr unread) still fails the run.
  export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
  export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
  stage "unit tests against build-asan/"
  # One process for all of them: under ASan, starting 300 processes costs a minute.
  build-asan/tests/unit/unit_tests --gtest_brief=1 || failed+=("build-asan/ unit tests")
  stage "fuzz-replay and integration suites against build-asan/"
  (cd build-asan && ctest --output-on-failure --timeout 900 -j"$ctest_jobs" \
     -L 'fuzz|integration' "$@") || failed+=("build-asan/")
  # LeakSanitizer also writes a file that only lists the suppressions it used
  # (tests/lsan.supp); a report is a file that names an error.
  mapfile -t report_files < <(grep -lE 'ERROR: |runtime error' "$reports"/* 2>/dev/null || true)
  if [ ${#report_files[@]} -gt 0 ]; then
    echo "== sanitizer reports"
    head -n 60 "${report_files[@]}"
    failed+=("sanitizer reports in $reports")
  fi
  unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi

if [ -n "$fuzz_build" ]; then wait_build "$fuzz_build" build-fuzz/build.log "fuzz build" fuzz; fi

if [[ "$skip" != *" fuzz "* ]]; then
  stage "libFuzzer targets, ${MSX_FUZZ_SECONDS:-30} s each"
  bash scripts/fuzz.sh "${MSX_FUZZ_SECONDS:-30}" || failed+=("fuzzing")
fi

stage "done"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all suites passed"
