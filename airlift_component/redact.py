"""Keeping secrets out of what is shown: URLs without their ``user:password@`` part.

Every URL that is printed, logged, stored in a file or in an asset's metadata,
or put in an exception goes through :func:`redact_url` first.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """``url`` without any ``user:password@`` part.

    When the parser does not find the userinfo where an ``@`` says there is one (a
    password with ``/``, ``?``, ``#`` or a space in it, or text that is no URL), all
    up to the last ``@`` is dropped: a link shown shorter beats a secret shown.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    try:
        parts = urlsplit(url)
        if "@" in parts.netloc and "@" not in rest[len(parts.netloc) :]:
            host = parts.hostname or ""
            if parts.port is not None:
                host = f"{host}:{parts.port}"
            return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    except ValueError:
        pass
    return f"{scheme}://{rest.rsplit('@', 1)[1]}"


def redact_uri(uri: str) -> str:
    """An Airflow asset URI without the ``user:password@`` of its authority (see
    :func:`userinfo_span` for where that is).

    An ``@`` past an authority that has no userinfo is part of the path or query
    (``gs://lake/users/alice@example.com/orders.csv``) and stays: the URI is kept
    as Airflow keeps it, and the asset's key with it.
    """
    span = userinfo_span(uri)
    return uri if span is None else uri[: span[0]] + uri[span[1] + 1 :]


def userinfo_span(url: str) -> tuple[int, int] | None:
    """Where the ``user:password`` of ``url`` is: from past its ``://`` to its ``@``
    (excluded); ``None`` when it has none.

    The authority is the text between ``://`` and the first ``/``, ``?`` or ``#``
    (how Airflow's asset URI normalization and HTTP clients read a URL). When it is
    a host with an optional port and no ``@`` (``lake``, ``db:5432``, ``[::1]:80``),
    there is no userinfo, and any ``@`` further on is part of the path or query:
    the URI stays whole, as Airflow keeps it. Otherwise the userinfo runs up to the
    URL's **last** ``@``:

    - an ``@`` in the authority means a userinfo, and a password may hold ``@``
      followed by ``/``, ``?`` or ``#`` (``user:pa@ss/word@host``), where the
      authority as a parser reads it ends inside the password; so all up to the
      last ``@`` goes, a path's ``@`` too (``s3://u:p@host/a@b.csv`` is shown as
      ``s3://b.csv``). Airflow itself drops the userinfo from an asset URI (up to
      the authority's last ``@``) before it lists the asset, so an ``@`` in the path
      of a URI it lists is kept; only a URI it keeps as written (an ``x-`` scheme)
      or a name may still hold a userinfo, and cutting it shorter beats showing a
      piece of a password;
    - an authority that cannot be a host and port (``user:pa`` before ``/ss@host``:
      a password holding ``/``, ``?`` or ``#``) is a password's.

    A password whose first ``/``-separated piece is all digits reads as a port
    (``user:123/abc@host``, like ``db:5432/sales@v2``): Airflow reads it so too,
    and it is kept; percent-encode such a password.

    This is the one place that decides where a userinfo is: :func:`redact_uri` cuts
    it, and ``airlift.yaml``'s literal-secret rule looks for a password in it.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return None
    start = len(scheme) + len(sep)
    end = next((n for n, char in enumerate(rest) if char in "/?#"), len(rest))
    authority = rest[:end]
    if "@" in authority or not _host_and_port(authority):
        return start, start + rest.rindex("@")
    return None


#: RFC 3986 userinfo: unreserved, percent-encoded and sub-delimiter characters, and ":".
_ENCODED_USERINFO = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*")


def userinfo_is_encoded(url: str) -> bool:
    """Whether ``url``'s ``user:password@`` part, if it has one, is percent-encoded as
    RFC 3986 asks. Only then does every parser (urllib, httpx, Airflow's) find the
    same userinfo: a password with ``/``, ``?``, ``#``, ``@`` or a space would else be
    read in part as the host, port or path, and a client's error or request line
    (``Invalid port: 'ab'``, ``GET /word@host/api``) would quote that piece. An ``@``
    in the path counts as part of a userinfo here (write it ``%40``): a URL that
    sends requests is checked before it is used, never guessed at."""
    _, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return True
    info = rest.rsplit("@", 1)[0]
    try:
        parsed = urlsplit(url).netloc.rpartition("@")[0]
    except ValueError:
        return False
    return parsed == info and _ENCODED_USERINFO.fullmatch(info) is not None


def _host_and_port(authority: str) -> bool:
    """True when ``authority`` (no ``@``) reads as a host with an optional numeric
    port: ``host``, ``host:8080``, ``[::1]``, ``[::1]:8080``. A ``:`` in the host
    outside brackets, or a ``]`` without its ``[``, is a password's (``user:pa]``)."""
    if authority.startswith("["):
        _, bracket, port = authority.partition("]")
        return bool(bracket) and (not port or (port[:1] == ":" and port[1:].isdigit()))
    host, colon, port = authority.rpartition(":")
    if not colon:
        return "]" not in authority
    return port.isdigit() and ":" not in host and "]" not in host


_URL_START = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")
_WHITESPACE = re.compile(r"\s")


def scrub_userinfo(text: str) -> str:
    """``text`` (an error message, a log line, an event's ``extra``) with the
    ``user:password@`` part of every URL in it removed.

    A URL runs from its ``scheme://`` to the next whitespace, and each goes through
    :func:`redact_url`: a password may hold ``/``, ``?``, ``#``, ``@``, quotes or
    anything else but whitespace (which a URL in running text cannot hold). When
    the parse is in doubt all up to the URL's last ``@`` goes, so a URL with an
    ``@`` in its path may be shown shorter than it is; a secret is never shown.
    """
    if "@" not in text:
        return text
    parts: list[str] = []
    done = 0
    for match in _URL_START.finditer(text):
        start = match.start()
        if start < done:
            continue
        space = _WHITESPACE.search(text, match.end())
        end = space.start() if space else len(text)
        parts += [text[done:start], redact_url(text[start:end])]
        done = end
    parts.append(text[done:])
    return "".join(parts)
