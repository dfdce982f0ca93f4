"""The models of ``airlift.yaml`` (format version 1).

These pydantic models are the single source of truth for the file: the JSON
Schema in ``schemas/airlift.schema.json`` is generated from them, the validator
checks files with them and the Dagster component builds its definitions from
them. Every model forbids unknown keys so that a typo is an error, not a silent
default.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from airlift_component import mapping_tags

# Re-exported: the models' public names, kept without pydantic in .patterns.
from airlift_component.config.airlift_yaml.patterns import (
    ASSET_KEY_PATTERN as ASSET_KEY_PATTERN,
)
from airlift_component.config.airlift_yaml.patterns import (
    CRON_PATTERN,
    FIRST_TICK_PATTERN,
    PARTITION_START_PATTERN,
)
from airlift_component.config.airlift_yaml.patterns import (
    DURATION_PATTERN as DURATION_PATTERN,
)
from airlift_component.config.airlift_yaml.patterns import GROUP_PATTERN as GROUP_PATTERN
from airlift_component.config.airlift_yaml.patterns import (
    INSTANCE_NAME_PATTERN as INSTANCE_NAME_PATTERN,
)
from airlift_component.config.airlift_yaml.patterns import (
    PYTHON_REF_PATTERN as PYTHON_REF_PATTERN,
)
from airlift_component.config.airlift_yaml.patterns import SECRET_FIELDS as SECRET_FIELDS
from airlift_component.config.airlift_yaml.patterns import URL_PATTERN as URL_PATTERN
from airlift_component.config.airlift_yaml.patterns import is_loopback_url as is_loopback_url
from airlift_component.config.ids import DAG_ID_PATTERN, TASK_ID_PATTERN

PositiveInt = Annotated[StrictInt, Field(ge=1)]
#: A number above zero; whole numbers are accepted too (StrictFloat takes ints, not bools).
PositiveNumber = Annotated[StrictFloat, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- authentication -----------------------------------------------------------------


class NoAuth(_Model):
    """No credentials: for a local Airflow whose API allows anonymous access."""

    type: Literal["none"]


class BasicAuth(_Model):
    """Username and password.

    Airflow 2 receives them as HTTP basic auth; on Airflow 3 they are exchanged
    for a JWT at ``/auth/token``, refreshed before it expires.
    """

    type: Literal["basic"]
    username: StrictStr = Field(min_length=1)
    password: SecretStr = Field(
        description="Use ${VAR}: literal passwords are refused off loopback."
    )


class TokenAuth(_Model):
    """A static bearer token (an Airflow 3 JWT or a proxy's API token)."""

    type: Literal["token"]
    token: SecretStr = Field(description="Use ${VAR}: literal tokens are refused off loopback.")


class MwaaAuth(_Model):
    """Amazon MWAA: a web login token from boto3, exchanged for a session cookie."""

    type: Literal["mwaa"]
    environment_name: StrictStr = Field(min_length=1)
    region: StrictStr | None = None
    profile: StrictStr | None = None


class AstronomerAuth(_Model):
    """Astronomer: the deployment URL is the instance ``url``; the token is an API token."""

    type: Literal["astronomer"]
    api_token: SecretStr = Field(description="Use ${VAR}: literal tokens are refused off loopback.")


class ComposerAuth(_Model):
    """Google Cloud Composer: Application Default Credentials through google-auth."""

    type: Literal["composer"]
    scopes: list[StrictStr] = Field(
        default_factory=lambda: ["https://www.googleapis.com/auth/cloud-platform"]
    )


class CustomAuth(_Model):
    """Your own authentication class, ``package.module:ClassName``, built with ``options``."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    type: Literal["custom"]
    class_: StrictStr = Field(alias="class", pattern=PYTHON_REF_PATTERN)
    options: dict[StrictStr, Any] = Field(default_factory=dict, repr=False)


Auth = Annotated[
    NoAuth | BasicAuth | TokenAuth | MwaaAuth | AstronomerAuth | ComposerAuth | CustomAuth,
    Field(discriminator="type"),
]


# --- per-instance settings ------------------------------------------------------------


class DagFilter(_Model):
    """Which DAGs to peer: ids matching ``include`` and not ``exclude`` (shell globs),
    and, when ``tags`` is set, carrying at least one of those tags."""

    include: list[StrictStr] = Field(default_factory=lambda: ["*"])
    exclude: list[StrictStr] = Field(default_factory=list)
    tags: list[StrictStr] = Field(default_factory=list)


class SensorSettings(_Model):
    """The sensor that records Airflow runs as Dagster materializations."""

    interval_seconds: PositiveInt = 30
    lookback_hours: Annotated[StrictFloat, Field(ge=0)] = 24
    batch_size: Annotated[StrictInt, Field(ge=1, le=1000)] = 100
    default_status: Literal["running", "stopped"] = "running"
    run_asset_checks: StrictBool = Field(
        default=True,
        description="After each tick, run the asset checks on the assets it recorded, once "
        "per Airflow run (see [exactly-once.md](exactly-once.md#asset-checks-on-recorded-assets)).",
    )


class HttpSettings(_Model):
    """How to talk to the Airflow REST API."""

    connect_timeout: PositiveNumber = 10
    read_timeout: PositiveNumber = 30
    retries: Annotated[StrictInt, Field(ge=0, le=20)] = 4
    deadline_seconds: PositiveNumber = 120
    verify: StrictBool = True
    ca_bundle: StrictStr | None = None


# --- mappings -------------------------------------------------------------------------


class TimePartitions(_Model):
    """Time partitions; an Airflow run's logical date picks the partition."""

    schedule: Literal["hourly", "daily", "weekly", "monthly"]
    start: StrictStr = Field(pattern=PARTITION_START_PATTERN)
    timezone: StrictStr = "UTC"


# --- acceptance checks ----------------------------------------------------------------


class FreshnessCheck(_Model):
    """Dagster's freshness check (``build_last_update_freshness_checks``): fails when the
    asset was not materialized within ``max_lag``, by Airflow or by Dagster.

    Without ``max_lag`` the lag is the longest gap between two runs of the DAG's cron
    schedule (as fetched by ``airlift refresh``; ``@daily``-style presets count), so an
    asset is stale once a scheduled run's update is missing; a DAG on no cron schedule
    is an error at load, and until the Airflow state is fetched the check is left out
    (logged). The check is judged once per update (in the airlift sensor's check run
    for an Airflow run, or in a proxied run); between updates the sensor
    ``airlift_<instance>_freshness_checks`` runs it only when time alone may have made
    the asset stale."""

    type: Literal["freshness"]
    max_lag: Annotated[StrictStr, Field(pattern=DURATION_PATTERN)] | None = Field(
        default=None,
        description="Longest allowed time since the last materialization, e.g. `90m`, "
        "`26h`, `2d`; default: one interval of the DAG's cron schedule.",
    )
    deadline_cron: Annotated[StrictStr, Field(min_length=1)] | None = Field(
        default=None,
        description="Judge only at the ticks of this cron (Dagster's `deadline_cron`): "
        "the asset must have been updated within `max_lag` before each tick.",
    )


class CodeCheck(_Model):
    """Your own check: ``package.module:attr`` naming an ``@asset_check`` on this asset,
    or a factory that is called with the asset's ``AssetKey`` and returns checks
    (one ``AssetChecksDefinition`` or a list of them) on it."""

    type: Literal["code"]
    code: StrictStr = Field(
        pattern=PYTHON_REF_PATTERN,
        description="`package.module:attribute` of an `@asset_check` or a check factory.",
    )


Check = Annotated[FreshnessCheck | CodeCheck, Field(discriminator="type")]
_CHECKS_NOTE = (
    "Acceptance checks run on every materialization, from Airflow or Dagster alike; "
    "each one chosen by `type`."
)


def _key_as_spec(value: Any) -> Any:
    return {"key": value} if isinstance(value, str) else value


class AssetSpecModel(_Model):
    """A Dagster asset that an Airflow DAG or task produces."""

    key: StrictStr = Field(pattern=ASSET_KEY_PATTERN, description="Slash-separated asset key.")
    deps: list[Annotated[StrictStr, Field(pattern=ASSET_KEY_PATTERN)]] = Field(default_factory=list)
    group: Annotated[StrictStr, Field(pattern=GROUP_PATTERN)] | None = None
    owners: list[StrictStr] = Field(default_factory=list)
    kinds: list[StrictStr] = Field(default_factory=list)
    tags: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    description: StrictStr | None = None
    metadata: dict[StrictStr, StrictStr | StrictInt | StrictFloat | StrictBool] = Field(
        default_factory=dict
    )
    partitions: TimePartitions | None = None
    code: Annotated[StrictStr, Field(pattern=PYTHON_REF_PATTERN)] | None = Field(
        default=None,
        description="package.module:attribute of a Dagster asset that computes this key once migrated.",
    )
    checks: list[Check] = Field(default_factory=list, description=_CHECKS_NOTE)

    @property
    def path(self) -> list[str]:
        return self.key.split("/")


AssetKeyStr = Annotated[StrictStr, Field(pattern=ASSET_KEY_PATTERN)]

#: An asset given either as its key alone (``raw/customers``) or as a full spec.
AssetEntry = Annotated[
    AssetSpecModel,
    BeforeValidator(_key_as_spec, json_schema_input_type=AssetKeyStr | AssetSpecModel),
]


class TaskMapping(_Model):
    """The assets one Airflow task produces: listed in ``assets``, or every key of one
    Dagster ``AssetsDefinition`` (a ``@multi_asset``, a dbt project's ``@dbt_assets``)
    named by ``code``, optionally narrowed by ``select``."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        json_schema_extra={
            "oneOf": [{"required": ["assets"]}, {"required": ["code"]}],
            "dependencies": {"select": ["code"]},
        },
    )

    task: StrictStr = Field(pattern=TASK_ID_PATTERN)
    assets: list[AssetEntry] = Field(
        default_factory=list,
        min_length=1,
        description="Assets the task produces: a key, or a full asset object. "
        "Give either `assets` or `code`.",
    )
    code: Annotated[StrictStr, Field(pattern=PYTHON_REF_PATTERN)] | None = Field(
        default=None,
        description="`package.module:attribute` of an `AssetsDefinition`: the task produces "
        "every key of it (instead of `assets`).",
    )
    select: Annotated[StrictStr, Field(min_length=1)] | None = Field(
        default=None,
        description="With `code`: only the keys this Dagster asset selection picks from it, "
        'e.g. `group:marts` or `key:"marts/*"`.',
    )
    checks: list[Check] = Field(
        default_factory=list,
        description="Acceptance checks on every key the task produces (e.g. a freshness check "
        "on each model of a dbt project mapped by `code`); a `code` check must be a factory.",
    )

    @model_validator(mode="after")
    def _assets_or_code(self) -> TaskMapping:
        if self.code is not None and self.assets:
            raise ValueError(
                f"task {self.task!r} sets both 'assets' and 'code': keep 'code' to map every "
                "key of that asset definition, or list the keys in 'assets'"
            )
        if self.code is None and not self.assets:
            raise ValueError(
                f"task {self.task!r} maps no assets: add 'assets:' (keys) or "
                "'code: package.module:attribute' (an asset definition)"
            )
        if self.select is not None and self.code is None:
            raise ValueError(f"task {self.task!r}: 'select' narrows 'code'; add 'code:'")
        return self


class AirflowAssetsSettings(_Model):
    """Airflow 2 Datasets / Airflow 3 Assets as Dagster assets (off unless ``enabled``).

    Each Airflow asset a peered DAG produces (task outlets) or is scheduled on
    becomes a Dagster asset keyed ``<instance>/airflow_asset/<scheme>/<parts of
    the rest of the URI>``, each part with every character but letters, digits,
    ``_``, ``.`` and ``-`` replaced by ``_``; the sensor records Airflow's asset events
    as its materializations. See [Airflow assets](airflow-assets.md).
    """

    enabled: StrictBool = Field(
        default=False,
        description="Show Airflow's assets (datasets) in Dagster and record their events.",
    )
    keys: dict[Annotated[StrictStr, Field(min_length=1)], AssetKeyStr] = Field(
        default_factory=dict,
        description="Asset key per Airflow asset URI (or Airflow 3 asset name), "
        "replacing the derived key.",
    )


class Decommissioned(_Model):
    """The DAG's schedule moved from Airflow to Dagster: a Dagster schedule (``cron``)
    or, for a DAG Airflow assets triggered, an automation condition (``on_assets``)
    runs the DAG's assets that have ``code:``, and the DAG's own asset follows those
    runs (once per successful run, with its checks). Written by `airlift decommission`
    (and removed by its ``--undo``); each value is derived from Airflow's own DAG
    details and stored Airflow assets (see the migration playbook)."""

    cron: StrictStr | None = Field(
        default=None,
        pattern=CRON_PATTERN,
        description="Five-field cron of the schedule (a DAG on a time schedule).",
    )
    timezone: StrictStr | None = Field(
        default=None, min_length=1, description="IANA timezone of the cron."
    )
    first_tick: StrictStr = Field(
        pattern=FIRST_TICK_PATTERN,
        description="ISO 8601 with offset. With `cron`: the first tick Dagster runs "
        "(Airflow's next run when it was paused); earlier ticks are skipped, their "
        "intervals were Airflow's. With `on_assets`: the moment Airflow stopped.",
    )
    logical_date: Literal["interval_start", "tick"] | None = Field(
        default=None,
        description="With `cron`: the date a run stands for, as Airflow named it: the start "
        "of the interval that just ended (Airflow 2's cron, timedeltas) or the tick itself "
        "(Airflow 3's cron).",
    )
    paused_by_airlift: StrictBool = Field(
        description="Whether the DAG was paused in Airflow by this step (undoing it "
        "unpauses the DAG only then)."
    )
    on_assets: list[AssetKeyStr] | None = Field(
        default=None,
        min_length=1,
        description="A DAG Airflow assets triggered: the Dagster keys of those Airflow "
        "assets; an update of them runs the DAG's assets.",
    )
    on_assets_updated: Literal["any", "all"] | None = Field(
        default=None,
        description="With `on_assets`: run when any of them was updated, or when all were "
        "updated since the last run (Airflow's `a | b` and `[a, b]` / `a & b`).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        # OSError: a name of a folder of zones ("America") is opened as a file.
        except (ValueError, ZoneInfoNotFoundError, OSError):
            raise ValueError(
                f"{value!r} is not an IANA timezone name (e.g. Europe/Amsterdam, UTC)"
            ) from None
        return value

    @model_validator(mode="after")
    def _one_variant(self) -> Decommissioned:
        cron = (self.cron, self.timezone, self.logical_date)
        assets = (self.on_assets, self.on_assets_updated)
        if all(v is not None for v in cron) and all(v is None for v in assets):
            return self
        if all(v is not None for v in assets) and all(v is None for v in cron):
            return self
        raise ValueError(
            "decommissioned: holds either cron, timezone and logical_date (a time "
            "schedule) or on_assets and on_assets_updated (an asset-triggered DAG); "
            "`airlift decommission DAG --undo` removes the block, then decommission again"
        )


class DagMapping(_Model):
    """The assets of one DAG: DAG-level ones and per-task ones."""

    dag: StrictStr = Field(pattern=DAG_ID_PATTERN)
    assets: list[AssetEntry] = Field(default_factory=list)
    tasks: list[TaskMapping] = Field(default_factory=list)
    checks: list[Check] = Field(
        default_factory=list,
        description="Acceptance checks on the DAG's own asset (`<instance>/dag/<dag_id>`); "
        "see [FreshnessCheck](#freshnesscheck) and [CodeCheck](#codecheck).",
    )
    decommissioned: Decommissioned | None = Field(
        default=None,
        description="Set when the DAG's schedule has moved to Dagster (written by "
        "`airlift decommission`). The DAG's own asset (`<instance>/dag/<dag_id>`) then "
        "follows the Dagster runs: the sensor `airlift_<instance>_decommissioned_dags` "
        "materializes it once per successful Dagster run of the DAG's schedule or "
        "automation condition (none for a failed run) and runs the checks on it, so a "
        "freshness check on the DAG stays live; see [Decommissioned](#decommissioned).",
    )


class Instance(_Model):
    """One Airflow deployment to peer."""

    name: StrictStr = Field(pattern=INSTANCE_NAME_PATTERN)
    url: StrictStr = Field(pattern=URL_PATTERN)
    api: Literal["auto", "v1", "v2"] = "auto"
    auth: Auth
    dags: DagFilter = Field(default_factory=DagFilter)
    sensor: SensorSettings = Field(default_factory=SensorSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    proxied_state_dir: StrictStr | None = None
    mappings: list[DagMapping] = Field(default_factory=list)
    airflow_assets: AirflowAssetsSettings = Field(
        default_factory=AirflowAssetsSettings,
        description="Airflow assets (datasets) as Dagster assets; off by default.",
    )

    def mapping_for(self, dag_id: str) -> DagMapping | None:
        for mapping in self.mappings:
            if mapping.dag == dag_id:
                return mapping
        return None


class AirliftFile(_Model):
    """The whole ``airlift.yaml``."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        title="airlift.yaml",
        json_schema_extra={
            "$comment": "Generated from airlift_component.config.airlift_yaml.model"
        },
    )

    version: Literal[1]
    instances: list[Instance] = Field(min_length=1)

    def instance(self, name: str) -> Instance:
        for instance in self.instances:
            if instance.name == name:
                return instance
        raise KeyError(name)


#: Hints shown with a pattern mismatch, by field name.
PATTERN_HINTS: dict[str, str] = {
    "name": "instance names are lower-case letters, digits and _, starting with a letter",
    "key": "asset keys are slash-separated parts of letters, digits, _, - and .",
    "deps": "asset keys are slash-separated parts of letters, digits, _, - and .",
    "assets": "asset keys are slash-separated parts of letters, digits, _, - and .",
    "keys": "asset keys are slash-separated parts of letters, digits, _, - and .",
    "url": "write the full URL, e.g. http://127.0.0.1:8080 or https://airflow.example.com",
    "dag": "a DAG id is letters, digits, _, - and .",
    "task": "a task id is letters, digits, _, - and . (task groups use group.task)",
    "group": "group names are letters, digits and _",
    "class": "write package.module:ClassName",
    "code": "write package.module:attribute",
    "start": "write a date like 2024-01-01 or 2024-01-01T00:00",
    "max_lag": "write a whole number and a unit: 90m, 26h or 2d",
}


def dag_asset_key(instance: str, dag_id: str) -> list[str]:
    """The asset key of a peered DAG: ``<instance>/dag/<dag_id>``."""
    return list(mapping_tags.dag_asset_key(instance, dag_id))
