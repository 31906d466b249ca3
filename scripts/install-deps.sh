#!/usr/bin/env bash
# Installs the Debian packages omniq needs to build, test and benchmark.
# Idempotent: packages already present are skipped, and nothing is done when
# everything is installed. Works as root on a fresh Debian 12 machine (uses
# sudo when run as another user).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libasio-dev libsqlite3-dev sqlite3
  postgresql-15 libpq-dev
  nlohmann-json3-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev clang-format clang-tidy cppcheck
)
# The multi-host test (tests/multihost): network namespaces and veth pairs
# (priority "important": not in a minimal Debian image).
packages+=(iproute2)
# omniq::web (dashboard, metrics) and its browser tests (tests/web).
packages+=(chromium libhowardhinnant-date-dev librestinio-dev prometheus-cpp-dev nodejs)
# NodeSource's nodejs ships npm itself (and conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || packages+=(npm)

# tests/web's node_modules (playwright-core only; never a browser download),
# installed from package-lock.json when missing or older than it.
install_web_test_deps() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/web"
  [ -f "$dir/package-lock.json" ] && command -v npm >/dev/null 2>&1 || return 0
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in tests/web"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  install_web_test_deps
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# The tests start throwaway PostgreSQL servers of their own: ask Debian's
# package not to create (and start) a default cluster on port 5432.
if [[ " ${missing[*]} " == *" postgresql-15 "* && ! -e /etc/postgresql-common/createcluster.conf ]]; then
  $sudo mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
install_web_test_deps
