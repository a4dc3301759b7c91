"""The mapping language: typed specs (`spec`), the YAML loader with file:line errors (`loader`), converters."""

from .loader import load_mapping, load_mappings
from .spec import (
    KEY_COLUMN,
    VALUE_COLUMN,
    Field,
    Hop,
    Lookup,
    MappingError,
    MappingErrors,
    MappingSet,
    MappingSpec,
    Partitioning,
    Relation,
)

__all__ = [
    "KEY_COLUMN", "VALUE_COLUMN", "Field", "MappingError", "MappingErrors", "MappingSet", "MappingSpec",
    "Partitioning", "Relation", "Hop", "Lookup", "load_mapping", "load_mappings",
]
