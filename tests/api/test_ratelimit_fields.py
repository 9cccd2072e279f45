"""The IETF RateLimit fields' text: Structured Field Lists of one Item each."""

from __future__ import annotations

import re

from pixpress.api.ratelimit_fields import MAX_SF_INTEGER, policy_field, ratelimit_field

# RFC 8941: sf-string ; key=sf-integer | key=sf-string ...
SF_ITEM = re.compile(r'^"[\x20-\x21\x23-\x5b\x5d-\x7e]*"(;[a-z*][a-z0-9_.*-]*=(-?\d{1,15}|"[^"\\]*"))*$')


def test_policy_field() -> None:
    value = policy_field(1000 * 1024 * 1024)
    assert value == '"monthly";q=1048576000;w=2592000;qu="content-bytes"'
    assert SF_ITEM.match(value)


def test_ratelimit_field_with_and_without_a_reset_time() -> None:
    assert ratelimit_field(5_000) == '"monthly";r=5000'
    assert ratelimit_field(5_000, reset_in_s=3600) == '"monthly";r=5000;t=3600'
    assert SF_ITEM.match(ratelimit_field(5_000, reset_in_s=3600))


def test_integers_stay_within_structured_field_bounds() -> None:
    assert ratelimit_field(-5) == '"monthly";r=0'
    assert policy_field(10**18).startswith(f'"monthly";q={MAX_SF_INTEGER};')
    assert SF_ITEM.match(policy_field(10**18))
