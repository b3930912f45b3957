"""Hooks for the schemathesis run of test_schemathesis.py (loaded by the schemathesis process).

The run authenticates with one admin key; a generated ``DELETE /api-keys/{key_id}`` that names
that very key would revoke it and leave every later request a 401, so it names another id."""

from __future__ import annotations

import os
from typing import Any

import schemathesis

PROTECTED_KEY_ID = int(os.environ["CRONWRIGHT_FUZZ_KEY_ID"])


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    parameters = case.path_parameters
    # Generated as an integer, or as text when a phase probes the path's edges.
    if parameters and str(parameters.get("key_id")).strip() == str(PROTECTED_KEY_ID):
        parameters["key_id"] = 2**62  # no such key: a 404, as documented
