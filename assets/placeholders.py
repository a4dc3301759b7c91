"""Content types whose mapping file is broken: a placeholder asset each, carrying the errors where the UI
puts them in front of the user (its description, and a `mapping_is_valid` check that fails with them).
The other content types load and run as usual."""

from dagster import AssetCheckResult, AssetSpec, Definitions, MetadataValue, asset_check

from pipelines.mapping import MappingError

from .naming import CHECK_MAPPING, DEFAULT_NAMES, DagsterNames


def _text(errors: list[MappingError]) -> str:
    return "\n".join(str(e) for e in errors)


def placeholder(content_type: str, errors: list[MappingError], names: DagsterNames = DEFAULT_NAMES) -> AssetSpec:
    """A non-materializable asset standing for a content type that cannot load."""
    return AssetSpec(
        names.strapi_key(content_type),
        group_name=names.target_group,
        kinds={"strapi"},
        description=f"**Not synced: its mapping has errors.** Fix the file and reload the code location.\n\n```\n{_text(errors)}\n```",
        metadata={"mapping errors": MetadataValue.md("\n".join(f"- `{e}`" for e in errors))},
    )


def failing_mapping_check(content_type: str, errors: list[MappingError], names: DagsterNames = DEFAULT_NAMES):
    """`mapping_is_valid` of a broken content type: fails with its file:line: key: message lines."""

    @asset_check(asset=names.strapi_key(content_type), name=CHECK_MAPPING, description="The mapping file loads (medusa-strapi validate)")
    def _check() -> AssetCheckResult:
        return AssetCheckResult(passed=False, metadata={"problems": MetadataValue.md(_text(errors))})

    return _check


def broken_mapping_definitions(broken: dict[str, list[MappingError]], names: DagsterNames = DEFAULT_NAMES) -> Definitions:
    """A placeholder and a failing check per broken mapping (and per type that waits for one)."""
    return Definitions(
        assets=[placeholder(name, errors, names) for name, errors in broken.items()],
        asset_checks=[failing_mapping_check(name, errors, names) for name, errors in broken.items()],
    )
