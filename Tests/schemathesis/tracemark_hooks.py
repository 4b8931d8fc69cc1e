"""Schemathesis hooks for the API tests (SCHEMATHESIS_HOOKS=tracemark_hooks).

Every generated request that carries a valid Idempotency-Key gets a fresh one: schemathesis
generates few distinct keys, and the same key with another request is rightly refused (422).
Keys that break the documented pattern are left alone, so that their refusal is still tested.
"""
import re
import uuid

import schemathesis

_VALID = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and _VALID.match(headers[name]):
            headers[name] = str(uuid.uuid4())
