"""The IETF RateLimit and RateLimit-Policy fields: a token's monthly quota in the standard's words.

Syntax of draft-ietf-httpapi-ratelimit-headers-10 (September 2025): each field is a Structured Field
List (RFC 8941 / RFC 9651) of Items. An Item's bare value is the policy's name, an sf-String; its
parameters are `q` (quota), `w` (window, seconds) and `qu` (quota unit, an sf-String) in
RateLimit-Policy, `r` (remaining) and the optional `t` (seconds until the quota resets) in RateLimit.
Integers are sf-Integers: non-negative here, and at most 15 digits.

pixpress's quota is bytes of uploads per month, reset by the vendor (`reset-usage`), not at a time
pixpress knows: `t` is left out, and `w` is a nominal month of 30 days.
"""

from __future__ import annotations

POLICY = "monthly"
QUOTA_UNIT = "content-bytes"
MONTH_S = 30 * 24 * 3600
MAX_SF_INTEGER = 999_999_999_999_999


def policy_field(quota_bytes: int) -> str:
    """RateLimit-Policy: `"monthly";q=1048576000;w=2592000;qu="content-bytes"`."""
    return f'"{POLICY}";q={_integer(quota_bytes)};w={MONTH_S};qu="{QUOTA_UNIT}"'


def ratelimit_field(remaining_bytes: int, *, reset_in_s: int | None = None) -> str:
    """RateLimit: `"monthly";r=1047000000`, with `;t=SECONDS` when the reset time is known."""
    value = f'"{POLICY}";r={_integer(remaining_bytes)}'
    return value if reset_in_s is None else f"{value};t={_integer(reset_in_s)}"


def _integer(value: int) -> int:
    return min(max(0, int(value)), MAX_SF_INTEGER)
