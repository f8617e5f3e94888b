#!/usr/bin/env bash
# Computes the digest of the client bundle a Burnroom node serves on its chat port, from a checkout, so that it can
# be compared with what a running node prints (`Burnroom ready: ... client=sha256:<hex>`) and serves on its
# management port (`GET /client-bundle`). See docs/security.md, "Checking the client you are served".
#
#   tools/client-hash.sh [--list] [CHECKOUT]     CHECKOUT defaults to the checkout this script is in
#
# Prints `client=sha256:<hex>`; with --list, first one `<sha256>  <bytes>  <path>` line per file.
#
# The bundle is every file of CHECKOUT/webroot/ that the build packs (pom.xml: not test/, node_modules/ or the
# top-level package*.json, nor what Maven leaves out by default: version-control directories, editor backups) plus
# the vendored files the chat port serves from webjars, read from the local Maven repository (MAVEN_REPO, default ~/.m2/repository; run
# `mvn -B package -DskipTests` once to fetch them). The digest is the SHA-256 of the manifest: for each file in
# ascending byte order of its URL path, the path, a newline, the lower-case hex SHA-256 of the file, a newline.
# Needs bash, coreutils (sha256sum, sort, wc) and find; unzip (or a JDK's jar) to read the webjars.
set -euo pipefail
export LC_ALL=C

list=false
if [ "${1:-}" = "--list" ]; then
  list=true
  shift
fi
checkout="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
webroot="$checkout/webroot"
repo="${MAVEN_REPO:-$HOME/.m2/repository}"
[ -d "$webroot" ] || { echo "client-hash: no webroot/ in $checkout" >&2; exit 2; }

# URL path, jar in the Maven repository, entry in the jar: the vendored files of edge/StaticFiles.java.
vendored=(
  "/vendor/qrcode.min.js|org/webjars/qrcodejs/07f829d/qrcodejs-07f829d.jar|META-INF/resources/webjars/qrcodejs/07f829d/qrcode.min.js"
)

# The files Maven's resources plugin leaves out by default (version-control directories, editor backups, .DS_Store;
# checked with this build's plugin): the jar lacks them, so the node does not serve them. Any other file, dot files
# such as .gitignore included, is packed and served, and so counted.
maven_default_excludes='(^|/)(\.git|\.svn|\.hg|\.bzr|CVS|RCS|SCCS|_darcs|\.metadata|\.arch-ids)(/|$)'
maven_default_excludes+='|(^|/)(\.cvsignore|\.DS_Store|vssver\.scc)$'
maven_default_excludes+='|(^|/)(#[^/]*#|\.#[^/]*|%[^/]*%|\._[^/]*)$|~$'

# One "path<TAB>sha256<TAB>bytes" line per file, unsorted.
entries() {
  (cd "$webroot" && find . -type f \
    | sed 's|^\./||' \
    | grep -Ev '^(test|node_modules)/|^package[^/]*\.json$' \
    | grep -Ev "$maven_default_excludes" \
    | while IFS= read -r f; do
        printf '/%s\t%s\t%s\n' "$f" "$(sha256sum < "$f" | cut -d' ' -f1)" "$(wc -c < "$f" | tr -d ' ')"
      done)
  for v in "${vendored[@]}"; do
    IFS='|' read -r path jar entry <<< "$v"
    [ -f "$repo/$jar" ] || { echo "client-hash: $repo/$jar is missing (run mvn -B package -DskipTests)" >&2; exit 2; }
    printf '%s\t%s\t%s\n' "$path" "$(read_entry "$repo/$jar" "$entry" | sha256sum | cut -d' ' -f1)" \
      "$(read_entry "$repo/$jar" "$entry" | wc -c | tr -d ' ')"
  done
}

# Writes one entry of a jar to stdout, without extracting anything to disk when unzip is there.
read_entry() {
  if command -v unzip >/dev/null 2>&1; then
    unzip -p "$1" "$2"
  else
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && jar xf "$1" "$2" && cat "$2")
    rm -rf "$tmp"
  fi
}

sorted="$(entries | sort -t "$(printf '\t')" -k1,1)"
if $list; then
  printf '%s\n' "$sorted" | awk -F '\t' '{ printf "%s  %s  %s\n", $2, $3, $1 }'
fi
digest="$(printf '%s\n' "$sorted" | awk -F '\t' '{ printf "%s\n%s\n", $1, $2 }' | sha256sum | cut -d' ' -f1)"
echo "client=sha256:$digest"
