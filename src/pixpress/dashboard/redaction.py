"""The deployment's settings as the dashboard shows them: every one, secrets never.

Secrets are named here one by one, and any other setting whose name says key, secret, password or token
(in the plural: lists of tokens) is hidden too, so a secret added later is hidden until someone decides
otherwise. URLs keep their shape but lose passwords and secret-looking query values.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pixpress.config import Settings

HIDDEN = "(hidden)"
SECRET_FIELDS = frozenset(
    {"admin_tokens", "license_api_key", "s3_access_key_id", "s3_secret_access_key", "dashboard_secret"}
)
URL_FIELDS = frozenset({"database_url", "redis_url", "license_api_url", "storage_url", "s3_endpoint_url"})
_SECRET_NAME = re.compile(r"(^|_)(key|secret|password|passwd|tokens|credentials?)($|_)", re.IGNORECASE)
_SECRET_QUERY = re.compile(r"pass|secret|key|token|auth|signature|credential", re.IGNORECASE)


def settings_rows(settings: Settings) -> list[tuple[str, str]]:
    """(environment variable, value as shown) for every setting, in the order of config.py."""
    rows = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        rows.append((f"PIXPRESS_{name.upper()}", shown_value(name, value)))
    return rows


def shown_value(name: str, value: object) -> str:
    text = "" if value is None else str(value)
    if name in SECRET_FIELDS or (_SECRET_NAME.search(name) and isinstance(value, str)):
        if not text:
            return "(empty)"
        if name == "admin_tokens":
            count = len([t for t in text.split(",") if t.strip()])
            return f"{HIDDEN}: {count} token{'s' if count != 1 else ''}"
        return f"{HIDDEN}: set"
    if name in URL_FIELDS or "://" in text:
        return redact_url(text) if text else "(empty)"
    return text if text else "(empty)"


def redact_url(url: str) -> str:
    """The URL without its password (user names stay: they help and are not secret) and with the
    values of secret-looking query parameters hidden."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return HIDDEN  # not a URL we can take apart: show nothing rather than risk a secret
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(key, "***" if _SECRET_QUERY.search(key) else value) for key, value in pairs], safe="*/:,"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
