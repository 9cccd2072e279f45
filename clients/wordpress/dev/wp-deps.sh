#!/usr/bin/env bash
# Install the Debian packages the local test WordPress needs, only when some are missing.
# Needs root (apt-get). Idempotent: prints "wordpress deps: present" and exits 0 when all are there.
set -euo pipefail

# The theme is only a Recommends of wordpress, and --no-install-recommends leaves it out; the front-end
# tests need one (twentytwentythree is a block theme, like the default of current WordPress).
# apache2-bin (the binary and its modules, no service) and media-types: the delivery rules' test runs a real
# Apache on a loopback port.
PACKAGES=(wordpress wordpress-theme-twentytwentythree php-cli php-mysql php-gd php-curl php-xml php-mbstring php-intl php-imagick
          mariadb-server mariadb-client curl apache2-bin media-types)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "wordpress deps: present" >&2
    exit 0
fi

echo "wordpress deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "wordpress deps: need root to apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Other sessions on the machine may hold the dpkg lock: wait for it instead of failing.
apt-get update -qq -o DPkg::Lock::Timeout=600
apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >&2
