#!/usr/bin/env bash
# The README's test command (and what .ci/run calls): installs what is missing,
# builds, and runs every suite: unit tests, then the suites that start their own
# MariaDB, PostgreSQL, Prometheus and Alertmanager on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
cd build
# Server-backed suites print their own pytest summary on failure.
ctest --output-on-failure --timeout 900 "$@"
