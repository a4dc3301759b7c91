#!/usr/bin/env python3
"""What `scripts/demo --check` checks once the Dagster UI answers: the UI shows the demo's sync.

- the code location loaded, with every mapping of the set as an asset;
- every synced asset's latest materialization is the demo's sync (recorded by `medusa-strapi sync`), or a
  later one (a Dagster run the instance launched since, such as the nightly reconcile catching up a tick it
  missed while the demo was stopped);
- every partition of the partitioned types' history (what their backfill jobs' Partitions page shows) is
  materialized;
- every freshness check has run and passed (the freshness sensor's first tick);
- no run failed, and no write-back run was launched (nobody edited anything in Strapi).

    .venv/bin/python scripts/check_demo.py --url http://127.0.0.1:3000 --mappings mappings [--since EPOCH] [--timeout 240]

Exit 0 when all of it holds within the timeout, 1 otherwise (saying what is missing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assets.naming import HISTORY_GROUP, TARGET_GROUP, history_key, strapi_key  # noqa: E402
from pipelines.mapping import load_mappings  # noqa: E402

FRESHNESS_CHECK = "freshness_check"  # the name Dagster's build_last_update_freshness_checks gives its checks

LOCATIONS = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
ASSET = """query ($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    __typename
    ... on AssetNode {
      assetMaterializations(limit: 1) { runId timestamp metadataEntries { label ... on TextMetadataEntry { text } } }
      assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization { status evaluation { success } } } } }
    }
  }
}"""
RUNS = "{ runsOrError(limit: 100) { ... on Runs { results { runId jobName status } } } }"
PARTITIONS = """query ($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) { ... on AssetNode { partitionStats { numMaterialized numPartitions } } }
}"""


def query(url: str, text: str, **variables) -> dict:
    """One GraphQL query against the webserver; its `data`."""
    response = requests.post(f"{url}/graphql", json={"query": text, "variables": variables}, timeout=30)
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def asset_state(url: str, content_type: str, since: float) -> tuple[str | None, str | None]:
    """(what is missing of its materialization, what is missing of its freshness check), None when fine;
    `since`: when the demo's sync started (epoch seconds)."""
    node = query(url, ASSET, path=list(strapi_key(content_type).path))["assetNodeOrError"]
    if node["__typename"] != "AssetNode":
        return "no such asset", "no such asset"
    materializations = node["assetMaterializations"]
    if not materializations:
        synced = "never materialized"
    else:
        latest = materializations[0]
        by = {e["label"]: e.get("text") for e in latest["metadataEntries"]}.get("recorded by") or f"run {latest['runId']}"
        synced = None if int(latest["timestamp"]) / 1000 >= since else f"latest materialization by {by}, before the demo's sync"
    checks = {c["name"]: c["executionForLatestMaterialization"] for c in node["assetChecksOrError"].get("checks", [])}
    execution = checks.get(FRESHNESS_CHECK)
    if FRESHNESS_CHECK not in checks:
        fresh = "no freshness check"
    elif not execution:
        fresh = "freshness check not evaluated yet"
    elif execution["status"] != "SUCCEEDED" or not (execution.get("evaluation") or {}).get("success"):
        fresh = f"freshness check {execution['status'].lower()}"
    else:
        fresh = None
    return synced, fresh


def missing_partitions(url: str, content_type: str) -> str | None:
    """What is missing of a partitioned type's history (None when every partition is materialized)."""
    stats = query(url, PARTITIONS, path=list(history_key(content_type).path))["assetNodeOrError"].get("partitionStats")
    if not stats:
        return "no partitioned history asset"
    missing = stats["numPartitions"] - stats["numMaterialized"]
    return f"{missing} of its {stats['numPartitions']} partitions not materialized" if missing else None


def check(url: str, content_types: list[str], partitioned: list[str], since: float) -> list[str]:
    """What does not hold yet (empty when the UI shows the demo's sync)."""
    problems = []
    entries = query(url, LOCATIONS)["workspaceOrError"].get("locationEntries", [])
    if not entries or any(e["loadStatus"] != "LOADED" for e in entries):
        return ["the code location is not loaded yet"]
    for name in content_types:
        synced, fresh = asset_state(url, name, since)
        problems += [f"{TARGET_GROUP}/{name}: {what}" for what in (synced, fresh) if what]
    for name in partitioned:
        missing = missing_partitions(url, name)
        problems += [f"{HISTORY_GROUP}/{name}: {missing}"] if missing else []
    for run in query(url, RUNS)["runsOrError"]["results"]:
        if run["status"] == "FAILURE":
            problems.append(f"run {run['runId'][:8]} ({run['jobName']}) failed")
        if run["jobName"].startswith("write_back_"):
            problems.append(f"a write-back run ({run['jobName']}) was launched though nothing was edited in Strapi")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the Dagster webserver, e.g. http://127.0.0.1:3000")
    parser.add_argument("--mappings", type=Path, required=True, help="the mapping set the demo synced")
    parser.add_argument("--timeout", type=float, default=240, help="seconds to wait for all of it (default %(default)s)")
    parser.add_argument("--since", type=float, default=0.0, help="when the demo's sync started (epoch seconds): "
                        "materializations before it do not count")
    args = parser.parse_args()
    mappings = load_mappings(args.mappings)
    content_types = mappings.content_types
    partitioned = [spec.content_type for spec in mappings if spec.partition]
    started = time.monotonic()
    problems = ["the webserver does not answer yet"]
    while time.monotonic() - started < args.timeout:
        try:
            problems = check(args.url, content_types, partitioned, args.since)
        except (requests.RequestException, RuntimeError) as exc:
            problems = [f"the webserver does not answer yet ({type(exc).__name__})"]
        if not problems:
            print(f"[check] the Dagster UI at {args.url} shows the demo's sync after {time.monotonic() - started:.0f}s: "
                  f"{len(content_types)} assets materialized by the demo's sync, {len(content_types)} freshness checks "
                  f"passed, every partition of {len(partitioned)} histories synced, no run failed, no write-back launched",
                  flush=True)
            return 0
        time.sleep(2)
    print(f"[check] after {args.timeout:.0f}s the Dagster UI at {args.url} does not show the demo's sync:", file=sys.stderr)
    for problem in problems[:40]:
        print(f"  {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
