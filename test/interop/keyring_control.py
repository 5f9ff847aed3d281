"""Locks and unlocks the default Secret Service collection of the current D-Bus session, for the
keyring tests: `keyring_control.py lock` and `keyring_control.py unlock` (the password comes from
AIM_TEST_KEYRING_PASSWORD, as scripts/with-keyring.sh sets it). Unlocking uses gnome-keyring's
own master-password call, so no prompt is needed. Prints `locked` or `unlocked`."""

import os
import sys

import secretstorage
from jeepney import DBusAddress, MessageType, new_method_call

SERVICE = DBusAddress(
    "/org/freedesktop/secrets",
    bus_name="org.freedesktop.secrets",
    interface="org.freedesktop.Secret.Service",
)
INTERNAL = DBusAddress(
    "/org/freedesktop/secrets",
    bus_name="org.freedesktop.secrets",
    interface="org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
)


def call(connection, message):
    reply = connection.send_and_get_reply(message)
    if reply.header.message_type == MessageType.error:
        raise RuntimeError(f"D-Bus error: {reply.header.fields} {reply.body}")
    return reply.body


def unlock(connection, collection):
    # A "plain" session: the password travels over the private session bus unencrypted.
    _, session = call(connection, new_method_call(SERVICE, "OpenSession", "sv", ("plain", ("s", ""))))
    password = os.environ["AIM_TEST_KEYRING_PASSWORD"].encode()
    secret = (session, b"", password, "text/plain")
    message = new_method_call(
        INTERNAL, "UnlockWithMasterPassword", "o(oayays)", (collection.collection_path, secret)
    )
    call(connection, message)


def main():
    connection = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(connection)
    if sys.argv[1] == "lock":
        collection.lock()
    else:
        unlock(connection, collection)
    print("locked" if collection.is_locked() else "unlocked")


main()
