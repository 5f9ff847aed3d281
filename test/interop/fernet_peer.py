"""A Fernet peer for the interop tests: Python's `cryptography` answering JSON lines on stdin.

Each request is one line: {"op": "encrypt", "key", "data" (base64), "now"} or
{"op": "decrypt", "key", "token", "ttl"?, "now"?}. Each answer is one line: {"token"} or
{"data" (base64)} or {"error": "<exception class>"}.
"""

import base64
import json
import sys

from cryptography.fernet import Fernet, InvalidToken


def answer(request):
    fernet = Fernet(request["key"].encode("ascii"))
    if request["op"] == "encrypt":
        data = base64.b64decode(request["data"])
        return {"token": fernet.encrypt_at_time(data, request["now"]).decode("ascii")}
    token = request["token"].encode("ascii")
    try:
        if "ttl" in request:
            data = fernet.decrypt_at_time(token, request["ttl"], request["now"])
        else:
            data = fernet.decrypt(token)
    except InvalidToken:
        return {"error": "InvalidToken"}
    return {"data": base64.b64encode(data).decode("ascii")}


for line in sys.stdin:
    print(json.dumps(answer(json.loads(line))), flush=True)
