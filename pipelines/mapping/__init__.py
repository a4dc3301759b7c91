"""The mapping language: typed specs (`spec`), the YAML loader with file:line errors (`loader`), converters."""

from .loader import LoadedMappings, load_mapping, load_mapping_set, load_mappings, mappings_digest
from .spec import (
    DEFAULT_KEY,
    KEY_COLUMN,
    VALUE_COLUMN,
    Field,
    Hop,
    Lookup,
    MappingError,
    MappingErrors,
    MappingSet,
    MappingSpec,
    MediaAttribute,
    Partitioning,
    Relation,
    UnknownContentType,
)

__all__ = [
    "DEFAULT_KEY", "KEY_COLUMN", "VALUE_COLUMN", "Field", "MappingError", "MappingErrors", "MappingSet", "MappingSpec", "MediaAttribute",
    "Partitioning", "Relation", "UnknownContentType", "Hop", "Lookup", "LoadedMappings", "load_mapping", "load_mapping_set", "load_mappings",
    "mappings_digest",
]
