"""Medusa's Postgres: reading mapped rows (`source`), change detection (`changes`), per-type locks (`locks`)."""
