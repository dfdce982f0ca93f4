"""Keeping secrets out of what is shown: URLs without their ``user:password@`` part.

Every URL that is printed, logged, stored in a file or in an asset's metadata,
or put in an exception goes through :func:`redact_url` first.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """``url`` without any ``user:password@`` part (unparseable text is returned as is)."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
    except ValueError:
        return url
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]*@")


def scrub_userinfo(text: str) -> str:
    """``text`` (an error message, a log line) with the ``user:password@`` part of every
    URL in it removed."""
    return _USERINFO.sub(r"\g<scheme>", text)
