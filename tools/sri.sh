#!/usr/bin/env bash
# Rewrites the integrity="sha384-..." attribute of every script, stylesheet and module preload in
# webroot/index.html and webroot/help.html (every page the client has) from the files themselves
# (docs/security.md, "Checking the client you are served").
# Run it after changing any file a page names; ClientBundleTest fails while one is stale.
# Needs bash, openssl, sed and unzip (or the JDK's jar) for the vendored QR code library.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
qr_jar="${HOME}/.m2/repository/org/webjars/qrcodejs/07f829d/qrcodejs-07f829d.jar"
qr_entry="META-INF/resources/webjars/qrcodejs/07f829d/qrcode.min.js"

sri() { printf 'sha384-%s' "$(openssl dgst -sha384 -binary | openssl base64 -A)"; }

content_of() {
  case "$1" in
    /vendor/qrcode.min.js)
      if command -v unzip >/dev/null; then unzip -p "$qr_jar" "$qr_entry"; else
        d=$(mktemp -d); (cd "$d" && jar xf "$qr_jar" "$qr_entry" && cat "$qr_entry"); rm -rf "$d"; fi ;;
    *) cat "$root/webroot$1" ;;
  esac
}

for page in index.html help.html; do
  index="$root/webroot/$page"
  for path in $(grep -o '\(href\|src\)="/[^"]*\.\(js\|css\)"' "$index" | sed 's/.*="\(.*\)"/\1/'); do
    hash=$(content_of "$path" | sri)
    # the attribute sits right after the path on the same tag
    sed -i "s#\\(\\(href\\|src\\)=\"$path\"\\) integrity=\"[^\"]*\"#\\1 integrity=\"$hash\"#; t; s#\\(\\(href\\|src\\)=\"$path\"\\)#\\1 integrity=\"$hash\"#" "$index"
  done
  echo "integrity updated in $index"
done
