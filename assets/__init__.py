"""Dagster layer over the `pipelines` engine: resources, one asset per mapping, and the Definitions."""
