#!/usr/bin/env bash
# Builds a minimal Java 17 runtime image from Debian's packages, for machines that reach Debian's archive but no
# container registry (ContainerIT runs it; anyone may):
#
#   deploy/jre-base-image.sh                      # imports localhost/burnroom-jre:17 unless it is up to date
#   podman build --format docker --build-arg BASE=localhost/burnroom-jre:17 -t burnroom .
#
# mmdebstrap (as root) makes a root file system of Debian's Essential packages plus openjdk-17-jre-headless,
# without documentation, manual pages or translations, straight into `podman import`: nothing is stored on the way.
# About 335 MB, 1.5 minutes from an empty cache. Settings (environment, all optional):
#   BASE_IMAGE=localhost/burnroom-jre:17   the tag to import as
#   SUITE=<the host's codename>            the Debian release (bookworm has openjdk-17)
#   DEBIAN_SOURCES=/etc/apt/sources.list.d/debian.sources (else /etc/apt/sources.list)   which archive to use
#   PODMAN=podman                          the podman command, with any global options
#   REBUILD=1                              build even if the tag is up to date
# The image is labelled with a digest of this script, so an edit here rebuilds it on the next run and an unchanged
# script reuses it (ContainerIT's cold and warm runs, docs/deploy.md).
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-localhost/burnroom-jre:17}"
PODMAN="${PODMAN:-podman}"
if [[ -z "${SUITE:-}" ]]; then
  SUITE="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
fi
if [[ -z "${DEBIAN_SOURCES:-}" ]]; then
  DEBIAN_SOURCES=/etc/apt/sources.list.d/debian.sources
  [[ -r "$DEBIAN_SOURCES" ]] || DEBIAN_SOURCES=/etc/apt/sources.list
fi

recipe="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
if [[ -z "${REBUILD:-}" ]] \
    && [[ "$($PODMAN image inspect --format '{{index .Config.Labels "io.burnroom.recipe"}}' "$BASE_IMAGE" 2>/dev/null)" == "$recipe" ]]; then
  echo "jre-base-image: $BASE_IMAGE is up to date (REBUILD=1 builds it anew)"
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "jre-base-image: needs mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }

echo "jre-base-image: building $BASE_IMAGE from Debian $SUITE ($DEBIAN_SOURCES)"
start=$SECONDS
# update-alternatives wants /usr/share/man/man1 for java's manual page link even when manual pages are left out.
# /etc/hosts and /etc/mtab are what a container runtime mounts or links at start: present in the image, the runtime
# adds nothing to a container's own layer, so `podman diff` of a running node is empty.
mmdebstrap --quiet --variant=essential --include=openjdk-17-jre-headless --format=tar \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
  --customize-hook='touch "$1/etc/hosts" && ln -sf /proc/mounts "$1/etc/mtab"' \
  "$SUITE" - "$DEBIAN_SOURCES" \
  | $PODMAN import --quiet --change 'CMD ["java", "-version"]' --change "LABEL io.burnroom.recipe=$recipe" - "$BASE_IMAGE" >/dev/null \
  || { $PODMAN rmi --force "$BASE_IMAGE" >/dev/null 2>&1 || true; echo "jre-base-image: failed" >&2; exit 1; }
echo "jre-base-image: $BASE_IMAGE built in $((SECONDS - start)) s"
