#!/usr/bin/env bash
# The README's test command (and what .ci/run calls). Installs what is missing, then:
#   1. builds build/ and runs every suite against it: unit tests, the fuzz corpus
#      replay, and the suites that start their own MariaDB, PostgreSQL, Prometheus and
#      Alertmanager on free loopback ports (in parallel: each uses its own ports and
#      temporary folders);
#   2. meanwhile builds build-asan/ (AddressSanitizer + UndefinedBehaviorSanitizer) at
#      low priority, since the suites of step 1 mostly wait on servers; then runs the
#      unit, fuzz-replay and integration suites again against it. Any sanitizer report
#      fails the run, even one from a process a test stopped on purpose;
#   3. runs every libFuzzer target for MSX_FUZZ_SECONDS seconds (default 30).
# Arguments go to both ctest runs (e.g. -R exporter). MSX_TEST_SKIP="asan fuzz" skips
# steps 2 and 3 for a quicker local run; CI skips nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
ctest_jobs=$((jobs + 1))
skip=" ${MSX_TEST_SKIP:-} "
failed=()

bash scripts/install-deps.sh
# Release, as scripts/demo.sh builds it (same folder, no rebuild between the two):
# debug info would add half again to the compile time.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"

asan_build=""
if [[ "$skip" != *" asan "* ]]; then
  # -O0 -g1: with the sanitizers, -O1 -g compiles three times slower (measured on
  # app.cc and evaluator_test.cc) and the suites mostly wait on servers anyway; -g1
  # keeps file:line in reports.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
    -DCMAKE_C_FLAGS_DEBUG="-O0 -g1" -DMSX_SANITIZE=ON >/dev/null
  nice -n 15 cmake --build build-asan -j"$jobs" >build-asan/build.log 2>&1 &
  asan_build=$!
fi

echo "== suites against build/"
(cd build && ctest --output-on-failure --timeout 900 -j"$ctest_jobs" "$@") || failed+=("build/")

if [ -n "$asan_build" ]; then
  echo "== sanitizer build (build-asan/build.log)"
  if ! wait "$asan_build"; then
    tail -n 40 build-asan/build.log
    failed+=("build-asan (compile)")
  else
    reports=$PWD/build-asan/sanitizer-reports
    rm -rf "$reports" && mkdir -p "$reports"
    echo "== unit, fuzz-replay and integration suites against build-asan/"
    # Reports go to files so that a report from a process a test stops or kills on
    # purpose (its stderr unread) still fails the run.
    export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
    export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
    (cd build-asan && ctest --output-on-failure --timeout 900 -j"$ctest_jobs" \
       -L 'unit|fuzz|integration' "$@") || failed+=("build-asan/")
    if compgen -G "$reports/*" >/dev/null; then
      echo "== sanitizer reports"
      head -n 60 "$reports"/*
      failed+=("sanitizer reports in $reports")
    fi
    unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
  fi
fi

if [[ "$skip" != *" fuzz "* ]]; then
  echo "== libFuzzer targets, ${MSX_FUZZ_SECONDS:-30} s each"
  bash scripts/fuzz.sh "${MSX_FUZZ_SECONDS:-30}" || failed+=("fuzzing")
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all suites passed"
