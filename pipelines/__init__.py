"""Medusa -> Strapi sync engine: mappings, extraction, transform, Strapi client and upserts.

Nothing here imports Dagster; the `assets` package is the orchestration layer on top.
"""
