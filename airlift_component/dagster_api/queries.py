"""The GraphQL documents the client sends; kept apart so they can be read and tested."""

from __future__ import annotations

from airlift_component.dagster_api.metadata_values import METADATA_ENTRY_FIELDS

ASSET_NODE_FIELDS = """
    assetKey { path }
    tags { key value }
    isExecutable
    isPartitioned
    partitionDefinition { type fmt }
    repository { name location { name } }
    dependencyKeys { path }
    metadataEntries {
      __typename
      label
      ... on TextMetadataEntry { text }
      ... on JsonMetadataEntry { jsonString }
    }
"""

ASSET_NODES_BY_KEYS = f"""
query AirliftAssetNodes($keys: [AssetKeyInput!]) {{
  assetNodes(assetKeys: $keys) {{ {ASSET_NODE_FIELDS} }}
}}
"""

# Fallback when a task's assets are not upstream of its DAG's asset: keys and tags only.
ASSET_TAGS_SCAN = """
query AirliftAssetTags {
  assetNodes { assetKey { path } tags { key value } }
}
"""

LAUNCH_RUN = """
mutation AirliftLaunchRun($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on Error { message }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""

RUN_FIELDS = "runId status creationTime tags { key value }"

RUN_BY_ID = f"""
query AirliftRun($runId: ID!) {{
  runOrError(runId: $runId) {{
    __typename
    ... on Run {{ {RUN_FIELDS} }}
    ... on Error {{ message }}
    ... on PythonError {{ message }}
  }}
}}
"""

# The metadata of every asset a run materialized (what the run hands back to Airflow).
RUN_MATERIALIZATIONS = f"""
query AirliftRunMaterializations($runId: ID!) {{
  runOrError(runId: $runId) {{
    __typename
    ... on Run {{
      runId
      assetMaterializations {{
        assetKey {{ path }}
        metadataEntries {{ {METADATA_ENTRY_FIELDS} }}
      }}
    }}
    ... on Error {{ message }}
    ... on PythonError {{ message }}
  }}
}}
"""

RUNS_OR_ERROR = f"""
  runsOrError(filter: $filter, limit: $limit) {{
    __typename
    ... on Runs {{ results {{ {RUN_FIELDS} }} }}
    ... on Error {{ message }}
    ... on PythonError {{ message }}
  }}
"""

RUNS_BY_TAGS = f"""
query AirliftRuns($filter: RunsFilter, $limit: Int) {{ {RUNS_OR_ERROR} }}
"""

# What a proxy operator needs first, in one request: the runs already launched for
# its task instance and the DAG's asset (whose metadata indexes the task's assets).
RUNS_AND_ASSET_NODES = f"""
query AirliftRunsAndAssetNodes($filter: RunsFilter, $limit: Int, $keys: [AssetKeyInput!]) {{
  {RUNS_OR_ERROR}
  assetNodes(assetKeys: $keys) {{ {ASSET_NODE_FIELDS} }}
}}
"""

RELOAD_LOCATION = """
mutation AirliftReload($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) {
    __typename
    ... on WorkspaceLocationEntry {
      name
      locationOrLoadError {
        __typename
        ... on PythonError { message }
      }
    }
    ... on Error { message }
    ... on PythonError { message }
  }
}
"""

LOCATIONS = """
query AirliftLocations {
  workspaceOrError {
    __typename
    ... on Workspace { locationEntries { name } }
    ... on PythonError { message }
  }
}
"""

VERSION = "query AirliftVersion { version }"

# The asset checks defined on some assets (acceptance checks, `airlift proxy status|on`).
ASSET_CHECKS = """
query AirliftAssetChecks($keys: [AssetKeyInput!]) {
  assetNodes(assetKeys: $keys) {
    assetKey { path }
    assetChecksOrError {
      __typename
      ... on AssetChecks { checks { name } }
      ... on Error { message }
    }
  }
}
"""

# What one check execution says; its run's tags tell a proxied task's run apart.
CHECK_EXECUTION_FIELDS = """
    runId
    status
    timestamp
    evaluation {
      success
      severity
      timestamp
      targetMaterialization { runId timestamp }
    }
"""

# The runs (by id) whose tags say who made a materialization a check judged.
RUNS_BY_IDS = f"""
query AirliftRunsByIds($filter: RunsFilter, $limit: Int) {{ {RUNS_OR_ERROR} }}
"""


def check_executions_query(count: int) -> str:
    """One document asking for the latest executions of ``count`` checks, aliased
    ``c0``..``c{count-1}``, with variables ``$k<i>`` (asset key) and ``$n<i>`` (name)."""
    params = ", ".join(f"$k{i}: AssetKeyInput!, $n{i}: String!" for i in range(count))
    fields = "\n".join(
        f"  c{i}: assetCheckExecutions(assetKey: $k{i}, checkName: $n{i}, limit: $limit) "
        f"{{ {CHECK_EXECUTION_FIELDS} }}"
        for i in range(count)
    )
    return f"query AirliftCheckExecutions($limit: Int!, {params}) {{\n{fields}\n}}\n"
