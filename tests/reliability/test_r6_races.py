"""R6: two full syncs at once on an empty Strapi make no duplicate; Strapi equals Medusa afterwards."""

from __future__ import annotations

import threading

from pipelines.medusa.source import MedusaSource
from pipelines.strapi.client import StrapiClient
from pipelines.sync.run import sync_all
from tests.integration.helpers import assert_in_sync

from .conftest import strapi_duplicates


def test_two_full_syncs_at_once_duplicate_nothing(stack, medusa_url, source, clean_strapi, mappings):
    outcomes = []

    def full_sync():
        other_source, client = MedusaSource(medusa_url), StrapiClient(stack["STRAPI_URL"], stack["STRAPI_API_TOKEN"])
        try:
            outcomes.append(all(r.failed == 0 for r in sync_all(mappings, other_source, client)))
        finally:
            client.close()
            other_source.dispose()

    threads = [threading.Thread(target=full_sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert outcomes == [True, True]
    assert strapi_duplicates(stack, mappings) == {}
    assert_in_sync(source, clean_strapi, mappings)
