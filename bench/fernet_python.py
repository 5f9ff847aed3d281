"""Python cryptography's Fernet ops/s, for the benchmark's reference: one JSON line per size.

Each rate is the median of five rounds, as on the Node side, so that a burst of load elsewhere
does not decide the figure.
"""

import json
import statistics
import sys
import time

from cryptography.fernet import Fernet


def rate(operation, seconds):
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            operation()
        count += 50
    return count / (time.perf_counter() - start)


def median_rate(operation, seconds, rounds=5):
    for _ in range(200):
        operation()
    return statistics.median(rate(operation, seconds / rounds) for _ in range(rounds))


seconds = float(sys.argv[1])
fernet = Fernet(Fernet.generate_key())
for size in map(int, sys.argv[2:]):
    payload = b"a" * size
    token = fernet.encrypt(payload)
    print(json.dumps({
        "size": size,
        "encrypt": median_rate(lambda: fernet.encrypt(payload), seconds),
        "decrypt": median_rate(lambda: fernet.decrypt(token), seconds),
    }), flush=True)
