#!/usr/bin/env bash
# The full test command (`npm test`): build, type-check, lint the package, then run every suite.
# Where dbus-run-session and gnome-keyring exist, the suites run inside a private D-Bus session with
# a throwaway, unlocked keyring, so the keyring tests use a real Secret Service and never touch the
# user's own keyring.
set -euo pipefail
cd "$(dirname "$0")/.."

echo '== build'
npm run --silent build >/dev/null
echo '== type-check (the core without Node types)'
npm run --silent typecheck
echo '== package lint (publint, are-the-types-wrong)'
npm run --silent check:package >/dev/null

if [ -z "${DBUS_SESSION_BUS_ADDRESS_PRIVATE:-}" ] && command -v dbus-run-session >/dev/null &&
  command -v gnome-keyring-daemon >/dev/null; then
  echo '== suites (in a private D-Bus session with gnome-keyring)'
  exec dbus-run-session -- bash scripts/with-keyring.sh npx vitest run "$@"
fi
if [ "${CI:-}" = true ]; then
  echo 'CI needs dbus-run-session and gnome-keyring-daemon (apt-get install dbus-daemon gnome-keyring)'
  exit 1
fi
echo '== suites (no private D-Bus session: the keyring suites report themselves skipped)'
exec npx vitest run "$@"
