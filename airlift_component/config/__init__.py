"""Reading, validating and writing airlift.yaml and proxied-state files.

Imports neither Dagster nor Airflow: the base CLI and the Airflow side use it.
Each floor imports only the floors below it (``tests/unit/test_import_rules.py``):

- ground floor: :mod:`.problems` (a located problem), :mod:`.ids` (DAG and task
  ids), :mod:`.atomic_write`, :mod:`.model_errors` (pydantic errors as located
  problems), :mod:`.short_list`;
- :mod:`.yaml`: reading YAML with positions and in bounded time and memory, and
  rewriting values in YAML text byte for byte; knows neither format;
- :mod:`.airlift_yaml`: the ``airlift.yaml`` format (models, rules, loading,
  ``${VAR}`` placeholders);
- :mod:`.proxied_state`: the proxied-state format (reading, flipping flags);
- :mod:`.validation`: ``airlift validate``, and the only place that holds the two
  formats against each other (the cross-file rules, which files are where).
"""
