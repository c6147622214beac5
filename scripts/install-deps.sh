#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build, test and run its demo.
# Idempotent: a package already present is skipped, so a second run costs one dpkg query.
# Both README commands (demo and tests) and the Dockerfile's build stage call this; bench/run
# passes --bench for the extra packages it measures with.
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config
  prometheus-cpp-dev      # metric families and text exposition
  libcivetweb-dev         # embedded HTTP server
  libmariadb-dev          # MySQL/MariaDB driver (CloudStack's database)
  libpqxx-dev             # PostgreSQL driver
  libyaml-cpp-dev         # configuration files
  libcli11-dev            # command-line flags
  nlohmann-json3-dev      # JSON for the status API and Alertmanager
  libcurl4-openssl-dev    # HTTP client for Alertmanager
  libspdlog-dev           # logfmt/json logging
  libcrypt-dev            # bcrypt for basic auth
  libssl-dev              # TLS for the HTTP server
  zlib1g-dev              # gzip-compressed scrapes
  libgtest-dev libgmock-dev
  help2man                # the man page, generated from --help at build time
  dpkg-dev                # dpkg-shlibdeps: the .deb's dependencies, computed by cpack -G DEB
)
test_pkgs=(
  mariadb-server mariadb-client   # real database for integration tests and the demo
  postgresql postgresql-client    # PostgreSQL driver tests
  prometheus                      # promtool and a real scraper for e2e tests
  prometheus-alertmanager         # real Alertmanager and amtool
  docker-compose                  # validates docker/compose.yml (`docker-compose config`; no engine needed)
  curl procps iproute2 python3 python3-pytest   # test runner for integration and e2e suites
  python3-pymysql python3-psycopg2 python3-requests python3-yaml  # test and simulator clients
  python3-cryptography            # the simulator's throwaway certificate: its cluster port speaks TLS with client auth
  chromium python3-websocket      # the status page test: headless browser, DevTools protocol
  python3-jsonschema              # /api/v1/status against docs/status.schema.json
  jsonnet                         # mixin/: generates alerts/ and dashboards/; a test checks they are up to date
  clang libclang-rt-14-dev        # libFuzzer targets (tests/fuzz); gcc's ASan/UBSan come with build-essential
  lintian                         # checks the .deb (tests/package)
  systemd                         # systemd-analyze verify/security on the unit (nothing is started)
  man-db                          # man -l renders the generated man page
)
# Only bench/ needs these: the peer stack it measures against, the load generator and the
# instruction counter.
bench_pkgs=(
  prometheus-sql-exporter prometheus-blackbox-exporter wrk valgrind
)
case "${1:-}" in
  --build-only) test_pkgs=(); bench_pkgs=() ;;
  --bench) ;;
  *) bench_pkgs=() ;;
esac

missing=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all $(( ${#build_pkgs[@]} + ${#test_pkgs[@]} + ${#bench_pkgs[@]} )) packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
# Packages must not start their services (MariaDB, PostgreSQL, Prometheus): the tests
# and the demo start their own private instances on free ports.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  made_policy=1
fi
trap '[ $made_policy -eq 1 ] && $SUDO rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
