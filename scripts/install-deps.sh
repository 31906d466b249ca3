#!/usr/bin/env bash
# Installs the Debian packages omniq needs to build, test and benchmark.
# Idempotent: packages already present are skipped, and nothing is done when
# everything is installed. Works as root on a fresh Debian 12 machine (uses
# sudo when run as another user).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libasio-dev libsqlite3-dev sqlite3
  nlohmann-json3-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format clang-tidy cppcheck
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
