#!/usr/bin/env bash
# `npm run bench`: builds, then runs every benchmark, inside a private D-Bus session with a
# throwaway gnome-keyring where the machine has one (the cold-start benchmark needs a keyring).
set -euo pipefail
cd "$(dirname "$0")/.."

npm run --silent build >/dev/null
if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  exec dbus-run-session -- bash scripts/with-keyring.sh npx tsx bench/run.ts 2> >(grep -v 'fd limit' >&2)
fi
exec npx tsx bench/run.ts
