"""Parts of the airlift.yaml texts that several unit tests write: the head of a file
with one instance, ``prod``, on the local stub Airflow, and an instance whose url
and credentials come from environment placeholders.

The texts are built by joining lines as written, so a test's line and column
numbers stay those of the text it reads."""

from __future__ import annotations

#: A file's head up to its one instance's ``mappings:``: ``prod`` at
#: http://127.0.0.1:8080, no auth. Lines 1-5.
PROD_HEAD = """\
version: 1
instances:
  - name: prod
    url: http://127.0.0.1:8080
    auth: {type: none}
"""


_PROD_FROM_ENV = """\
version: 1
instances:
  - name: prod
    url: ${AIRFLOW_URL:-https://airflow.example.com}
    auth:
      type: basic
      username: ${AIRFLOW_USER}
      password: ${AIRFLOW_PASSWORD}
    sensor: {interval_seconds: 45}
    mappings:
      - dag: customers
        tasks:
          - task: load
            assets: [{key: raw/customers, description: DESCRIPTION}]
"""


def prod_from_env(description: str) -> str:
    """A file whose instance ``prod`` takes its url (with a default) and its basic-auth
    user and password from the environment (lines 4, 7 and 8), with a sensor
    interval, and maps one task, ``customers.load``, to ``raw/customers`` described
    by ``description`` (as written in YAML)."""
    return _PROD_FROM_ENV.replace("DESCRIPTION", description)
