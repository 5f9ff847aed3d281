#!/usr/bin/env bash
# Runs a command inside the current (private) D-Bus session after starting gnome-keyring there with
# a throwaway keyring in a temporary folder, unlocked with a throwaway password.
set -euo pipefail

keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "${HOME:?}/.cache"
chmod 700 "$XDG_RUNTIME_DIR"

printf 'aim-test-keyring' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
export DBUS_SESSION_BUS_ADDRESS_PRIVATE=1 AIM_TEST_KEYRING_PASSWORD=aim-test-keyring
"$@"
