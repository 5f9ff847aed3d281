"""Python cryptography's Fernet ops/s, for the benchmark's reference: one JSON line per size."""

import json
import sys
import time

from cryptography.fernet import Fernet


def rate(operation, seconds):
    for _ in range(200):
        operation()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            operation()
        count += 50
    return count / (time.perf_counter() - start)


seconds = float(sys.argv[1])
fernet = Fernet(Fernet.generate_key())
for size in map(int, sys.argv[2:]):
    payload = b"a" * size
    token = fernet.encrypt(payload)
    print(json.dumps({
        "size": size,
        "encrypt": rate(lambda: fernet.encrypt(payload), seconds),
        "decrypt": rate(lambda: fernet.decrypt(token), seconds),
    }), flush=True)
