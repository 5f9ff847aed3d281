"""Does what the Python AIM SDK's secure storage does, with the real `keyring` and `cryptography`,
so that tests can check files and keys in both directions. One JSON request in argv[1], one JSON
answer on stdout:

  {"op": "save", "path": P, "credentials": {...}, "service": S}   key from the keyring (made and
      stored if missing), Fernet token of json.dumps(credentials, indent=2) into P's .encrypted twin
  {"op": "load", "path": P, "service": S}                          decrypts it and answers the JSON
  {"op": "save_plaintext", "path": P, "credentials": {...}}     the development-mode file at P
  {"op": "get_key", "service": S}  /  {"op": "set_key", "service": S, "key": K}
  {"op": "delete_key", "service": S}
"""

import json
import os
import sys

import keyring
from cryptography.fernet import Fernet

ACCOUNT = "encryption-key"


def encrypted_path(path):
    return path[: -len(".json")] + ".encrypted" if path.endswith(".json") else path + ".encrypted"


def get_or_create_key(service):
    key = keyring.get_password(service, ACCOUNT)
    if key is None:
        key = Fernet.generate_key().decode()
        keyring.set_password(service, ACCOUNT, key)
    return key.encode()


def save(request):
    fernet = Fernet(get_or_create_key(request["service"]))
    token = fernet.encrypt(json.dumps(request["credentials"], indent=2).encode())
    target = encrypted_path(request["path"])
    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(token)
    return {"ok": True}


def save_plaintext(request):
    path = request["path"]
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(request["credentials"], file, indent=2)
    return {"ok": True}


def load(request):
    key = keyring.get_password(request["service"], ACCOUNT)
    with open(encrypted_path(request["path"]), "rb") as file:
        token = file.read()
    text = Fernet(key.encode()).decrypt(token).decode()
    return {"credentials": json.loads(text), "text": text}


def main():
    request = json.loads(sys.argv[1])
    operation = request["op"]
    if operation == "save":
        answer = save(request)
    elif operation == "save_plaintext":
        answer = save_plaintext(request)
    elif operation == "load":
        answer = load(request)
    elif operation == "get_key":
        answer = {"key": keyring.get_password(request["service"], ACCOUNT)}
    elif operation == "set_key":
        keyring.set_password(request["service"], ACCOUNT, request["key"])
        answer = {"ok": True}
    elif operation == "delete_key":
        keyring.delete_password(request["service"], ACCOUNT)
        answer = {"ok": True}
    else:
        raise ValueError(operation)
    print(json.dumps(answer))


main()
