#!/bin/sh
# Prints the Debian packages that provide the shared libraries the given ELF files load, one a line;
# fails when a library is missing or belongs to no package. The Dockerfile's runtime stage installs
# exactly these, so a plugin that links a new library needs no Dockerfile change.
#   sh deploy/container/runtime-packages.sh build/release/results_exporter build/release/plugins/*.so
set -eu
libs=$(for f in "$@"; do ldd "$f"; done)
if printf '%s\n' "$libs" | grep -q 'not found'; then
  printf '%s\n' "$libs" | grep 'not found' >&2
  exit 1
fi
missing=""
pkgs=""
for lib in $(printf '%s\n' "$libs" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u); do
  real=$(readlink -f "$lib")
  pkg=""
  # Debian 12 is half-way through merging /lib into /usr/lib: a file is registered under one of them.
  for p in "$lib" "$real" "/usr$lib" "${lib#/usr}" "/usr$real" "${real#/usr}"; do
    pkg=$(dpkg-query -S "$p" 2>/dev/null | head -n 1 | cut -d: -f1) || pkg=""
    [ -n "$pkg" ] && break
  done
  if [ -z "$pkg" ]; then
    missing="$missing $lib"
  else
    pkgs="$pkgs $pkg"
  fi
done
if [ -n "$missing" ]; then
  echo "no Debian package provides:$missing" >&2
  exit 1
fi
printf '%s\n' $pkgs | sort -u
