"""Generated URL passwords for the tests proving a password never shows: every
character a password may hold (``/`` as in AWS secret keys, ``@``, ``:``, ``?``, ``#``,
``%``, quotes, non-ASCII), framed by the markers ``Pw`` and ``Zq``, so that any piece
of one left in a text shows a marker (:func:`hidden`)::

    @given(password=PASSWORDS, user=USERS, url=st.sampled_from(USERINFO_URLS))
    def test_x(password, user, url):
        assert hidden(redact(url.format(u=user, p=password)))
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

_NO_SPACE = string.ascii_letters + string.digits + string.punctuation + "éß€"
_PIECE = st.text(st.sampled_from(list(_NO_SPACE)), max_size=8)
#: A password with an "@" of its own followed by "/", "?" or "#": a parser's authority
#: ends inside it (``user:Pw@x/yZq@host`` reads as host ``x``, path ``/yZq@host``).
AT_PASSWORDS = st.builds(
    lambda a, b, delimiter, c: f"Pw{a}@{b}{delimiter}{c}Zq",
    _PIECE,
    _PIECE,
    st.sampled_from("/?#"),
    _PIECE,
)
#: A password without whitespace (a URL in running text ends at whitespace).
PASSWORDS = st.one_of(
    st.text(st.sampled_from(list(_NO_SPACE)), min_size=1, max_size=24).map(lambda s: f"Pw{s}Zq"),
    AT_PASSWORDS,
)
#: Any password, whitespace too: where the code holds the URL as a URL.
ANY_PASSWORDS = st.one_of(
    st.text(st.sampled_from(list(_NO_SPACE + " \t\n")), min_size=1, max_size=24).map(
        lambda s: f"Pw{s}Zq"
    ),
    AT_PASSWORDS,
)
#: URLs with user ``{u}`` and password ``{p}``: an Airflow's, and asset URIs'.
USERINFO_URLS = [
    "http://{u}:{p}@airflow.example.com:8080/api/v2/dags",
    "https://{u}:{p}@10.0.0.1",
    "s3://{u}:{p}@lake/raw/orders.parquet",
    "postgres://{u}:{p}@db:5432/sales?table=x",
]


def hidden(text: str) -> bool:
    """Whether ``text`` shows no marker, so no piece of a generated password."""
    return "Pw" not in text and "Zq" not in text
