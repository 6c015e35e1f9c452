# Shared by scripts/*: installs the Debian packages named, but only those missing.
# Usage: ensure_packages pkg [pkg ...]
# Afterwards INSTALLED_PACKAGES lists the packages this call installed.

INSTALLED_PACKAGES=()
ensure_packages() {
    local missing=()
    local package
    INSTALLED_PACKAGES=()
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$package")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install: ${missing[*]}" >&2; return 1; }
        sudo="sudo"
    fi
    echo "installing missing packages: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    INSTALLED_PACKAGES=("${missing[@]}")
}

# stop_new_services SERVICE... : stops and disables those of the named systemd services whose
# package (same name) the last ensure_packages installed. Debian starts a daemon when its
# package is installed (varnish on :6081, nginx on :80, redis on :6379); a script that only
# wanted the binaries must not leave them running. No-op without systemd.
stop_new_services() {
    local service package sudo=""
    [ -d /run/systemd/system ] || return 0
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    for service in "$@"; do
        for package in "${INSTALLED_PACKAGES[@]}"; do
            if [ "$package" = "$service" ] || [ "$package" = "$service-light" ]; then
                echo "stopping and disabling the $service service its package started" >&2
                $sudo systemctl disable --now "$service" >/dev/null 2>&1 || true
            fi
        done
    done
}

# The C libraries the build links against.
BUILD_PACKAGES=(pkg-config libxxhash-dev liblz4-dev libhiredis-dev)

ensure_swift() {
    command -v swift >/dev/null 2>&1 && return 0
    [ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH" && return 0
    echo "swift not found: install a Swift 6.1+ toolchain and put it on PATH" >&2
    return 1
}

# moto's standalone S3 server (the origin tier's tests and benchmark), through pip.
ensure_moto() {
    python3 -c 'import moto.server, boto3' 2>/dev/null && return 0
    python3 -m pip install 'moto[server]'
}
