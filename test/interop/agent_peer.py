"""An independent re-implementation of the AIM server's action-signature rule, for interop tests.

Reads one JSON request per line and answers one JSON line:

  {"op": "action", "body": {...verification body as sent...}}
      -> {"message": "<the rebuilt message>", "valid": true|false}
  {"op": "request", "message": "<base64 bytes>", "signature": "...", "public_key": "..."}
      -> {"valid": true|false}

The rule (shared/AIM-API.md, "Action verification"): the server decodes the JSON body with every
number as a float64, builds {action_type, agent_id, context ({} when empty), resource (null when
empty), timestamp}, serialises it as Go's encoding/json does with HTML escaping off (keys sorted
by their UTF-8 bytes, raw UTF-8, U+2028/U+2029 escaped, floats in Go's shortest format), and then
inserts one space after every ':' and ',' outside a string. This file writes the compact Go form
first and adds the spaces in a second pass, as the server does, rather than the way the
TypeScript client does it.
"""

import base64
import json
import sys
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def go_float(value):
    """Formats a float64 as Go's encoding/json floatEncoder does (bits = 64)."""
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"

    sign = "-" if value < 0 else ""
    digits_tuple = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(str(d) for d in digits_tuple.digits)
    point = len(digits) + digits_tuple.exponent  # digits before the decimal point

    if abs(value) < 1e-6 or abs(value) >= 1e21:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exponent = point - 1
        text = "%se%s%02d" % (mantissa, "-" if exponent < 0 else "+", abs(exponent))
        # Go cleans up e-09 to e-9 (only negative two-digit exponents with a leading zero).
        if len(text) >= 4 and text[-4] == "e" and text[-3] == "-" and text[-2] == "0":
            text = text[:-2] + text[-1]
        return sign + text

    if point <= 0:
        return sign + "0." + "0" * (-point) + digits
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return sign + digits[:point] + "." + digits[point:]


def go_string(text):
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char == "\b":
            out.append("\\b")
        elif char == "\f":
            out.append("\\f")
        elif code < 0x20 or code in (0x2028, 0x2029):
            out.append("\\u%04x" % code)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def go_marshal(value):
    """Compact Go encoding/json output, HTML escaping off."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_string(value)
    if isinstance(value, list):
        return "[" + ",".join(go_marshal(item) for item in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode("utf-8"))
        return "{" + ",".join(go_string(k) + ":" + go_marshal(value[k]) for k in keys) + "}"
    raise TypeError("unexpected %r" % type(value))


def add_spaces(compact):
    """One space after every ':' and ',' outside a string."""
    out = []
    in_string = False
    escaped = False
    for char in compact:
        out.append(char)
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in ":,":
            out.append(" ")
    return "".join(out)


def rebuild(body):
    signed = {
        "action_type": body.get("action_type"),
        "agent_id": body.get("agent_id"),
        "context": body.get("context") or {},
        "resource": body.get("resource") or None,
        "timestamp": body.get("timestamp"),
    }
    return add_spaces(go_marshal(signed))


def verify(public_key_b64, signature_b64, message_bytes):
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
    try:
        key.verify(base64.b64decode(signature_b64), message_bytes)
        return True
    except InvalidSignature:
        return False


def answer(request):
    if request["op"] == "action":
        body = request["body"]
        message = rebuild(body)
        valid = verify(body["public_key"], body["signature"], message.encode("utf-8"))
        return {"message": message, "valid": valid}
    if request["op"] == "request":
        message = base64.b64decode(request["message"])
        return {"valid": verify(request["public_key"], request["signature"], message)}
    raise ValueError("unknown op")


for line in sys.stdin:
    # Every JSON number becomes a float64, as Go decodes into interface{}.
    parsed = json.loads(line, parse_int=float)
    print(json.dumps(answer(parsed)), flush=True)
