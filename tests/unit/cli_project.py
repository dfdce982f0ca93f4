"""The airlift.yaml of the CLI and component tests, saying only what differs: one
instance, its mappings as YAML text, and (for the tests that ask Airflow) the fake
Airflow it points at::

    text = one_instance(CUSTOMERS + DECOMMISSIONED, extra="proxied_state_dir: proxied_state")
    with fake_airflow_project(tmp_path, CUSTOMERS) as (fake, config):
        fake.add_dag("customers", {"extract": []})
        main(["drift", "--config", str(config)])
    path.write_text(fake_instance(fake.url, extra="airflow_assets: {enabled: true}"))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.harness.fake_airflow import FakeAirflow

#: The credentials of :func:`fake_airflow_project`'s Airflow and its airlift.yaml.
USERNAME, PASSWORD = "admin", "pw"

#: DAG ``customers`` with task ``extract`` alone, making ``raw/customers``.
EXTRACT = """\
- dag: customers
  tasks:
    - task: extract
      assets: [raw/customers]
"""

#: DAG ``customers``: task ``extract`` makes ``raw/customers``, ``load`` makes
#: ``analytics/customers``.
CUSTOMERS = f"""\
{EXTRACT}    - task: load
      assets: [analytics/customers]
"""

#: DAG ``customers``'s ``decommissioned:`` block (under its ``- dag:`` line): a daily
#: 03:00 Amsterdam cron from the night the clocks go forward, paused by airlift.
DECOMMISSIONED = """\
  decommissioned:
    cron: "0 3 * * *"
    timezone: Europe/Amsterdam
    first_tick: "2026-03-29T03:00:00+02:00"
    logical_date: interval_start
    paused_by_airlift: true
"""


def one_instance(
    mappings: str,
    *,
    name: str = "prod",
    url: str = "http://127.0.0.1:8080",
    auth: str = f"{{type: basic, username: {USERNAME}, password: {PASSWORD}}}",
    extra: str = "",
) -> str:
    """A version-1 airlift.yaml with one instance. ``mappings``: the entries of its
    ``mappings:`` list as YAML, written from column 0 (``- dag: customers``), or none;
    ``extra``: more instance keys, one a line, also from column 0."""
    lines = [f"name: {name}", f"url: {url}", f"auth: {auth}", *extra.splitlines()]
    lines += ["mappings:"] if mappings else []
    body = "".join(f"    {line}\n" for line in lines)
    entries = "".join(f"      {line}\n" if line else "\n" for line in mappings.splitlines())
    return "version: 1\ninstances:\n  - " + body.lstrip() + entries


@contextmanager
def fake_airflow_project(
    tmp_path: Path, mappings: str, *, extra: str = ""
) -> Iterator[tuple[FakeAirflow, Path]]:
    """A fake Airflow 3 (basic auth, :data:`USERNAME` / :data:`PASSWORD`) serving no DAGs
    yet, and ``tmp_path/airlift.yaml`` with one instance ``prod`` pointing at it."""
    with FakeAirflow(api="v2", username=USERNAME, password=PASSWORD) as fake:
        config = tmp_path / "airlift.yaml"
        config.write_text(one_instance(mappings, url=fake.url, extra=f"api: v2\n{extra}"))
        yield fake, config


#: An instance's ``http:`` that neither retries nor waits long: a fault the fake Airflow
#: injects reaches the code under test at once.
NO_RETRIES = "http: {retries: 0, deadline_seconds: 5}"


def fake_instance(url: str, mappings: str = "", *, extra: str = "") -> str:
    """:func:`one_instance` named ``fake`` (its sensor: ``airlift_fake_sensor``) at the
    fake Airflow at ``url``, started with :data:`USERNAME` / :data:`PASSWORD`, without
    retries (:data:`NO_RETRIES`); ``mappings`` and ``extra`` as there."""
    return one_instance(mappings, name="fake", url=url, extra=f"{NO_RETRIES}\n{extra}")
