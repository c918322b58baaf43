#!/usr/bin/env bash
# Installs the Debian packages skiff needs to build, test and run, if any are missing. Idempotent.
set -euo pipefail
packages=(libsqlite3-dev sqlite3 zlib1g-dev kubectl curl openssl gcc python3-venv
  containerd runc containernetworking-plugins iptables nftables iproute2 umoci busybox-static zstd dnsmasq-base)
# The registries end-to-end test: Debian's distribution registry, run as a plain process, and htpasswd for its auth.
packages+=(docker-registry apache2-utils)
# The Dockerfile test (e2e 76: podman builds the runtime stage on a debootstrapped base) and the install script lint.
packages+=(podman debootstrap shellcheck)
# The PostgreSQL store's tests start a server of their own from Debian's binaries (initdb, postgres).
packages+=(postgresql)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "skiff needs these Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
