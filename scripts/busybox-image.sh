#!/usr/bin/env bash
# Builds the tiny local image the docker network provider's tests and the quickstart use, without pulling
# anything: Debian's busybox-static binary plus one symlink per applet, imported with `docker import`.
# Prints the image name on stdout. Idempotent: an existing image of the same busybox build is kept.
# Usage: bash scripts/busybox-image.sh [IMAGE]   (default local/runbook-host-busybox:1)
set -euo pipefail

IMAGE="${1:-local/runbook-host-busybox:1}"
BUSYBOX=/bin/busybox

say() { echo "busybox-image: $*" >&2; }

if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed"; then
  say "installing busybox-static"
  env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi
version=$(dpkg-query -W -f='${Version}' busybox-static)
# The label records which Debian build is inside, so a busybox upgrade rebuilds the image.
if [ "$(docker image inspect -f '{{index .Config.Labels "runbook-host.busybox"}}' "$IMAGE" 2>/dev/null || true)" = "$version" ]; then
  echo "$IMAGE"
  exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/mnt"
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
chmod 1777 "$root/tmp"
say "importing $IMAGE (busybox-static $version)"
tar -C "$root" --numeric-owner --owner=0 --group=0 -c . \
  | docker import --change 'ENV PATH=/bin' --change "LABEL runbook-host.busybox=$version" - "$IMAGE" >/dev/null
echo "$IMAGE"
