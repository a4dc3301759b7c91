"""An editor's day in Strapi's admin panel, in a real browser, on the v2 test stack (Draft & Publish and locales
on `product`): log in, open a synced product, find Medusa's fields read-only with their source, write the French
copy of a CMS-only field, save and publish it; the next sync keeps it, and Medusa's changes still reach it."""

from __future__ import annotations

import os

import pytest

from pipelines.sync.run import sync_all

from .browser import browser_page, screenshot_path

PRODUCT_UID = "api::product.product"


def admin_login(page, url: str) -> None:
    email, password = os.environ.get("V2_STRAPI_ADMIN_EMAIL"), os.environ.get("V2_STRAPI_ADMIN_PASSWORD")
    if not (email and password):
        pytest.fail("no Strapi admin for the v2 test stack: run the tests with scripts/test")
    page.goto(f"{url}/admin/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Login").click()
    page.wait_for_url(lambda u: "/auth/" not in u)


def edit_view(page, url: str, document_id: str, locale: str) -> None:
    page.goto(f"{url}/admin/content-manager/collection-types/{PRODUCT_UID}/{document_id}?plugins[i18n][locale]={locale}")
    page.locator("[name=seo_title]").wait_for()


def test_an_editor_writes_the_french_copy_in_the_admin_and_the_sync_keeps_it(
        clean_strapi_v2, mappings_v2, source_v2, medusa_v2_sql, strapi_v2_sql, stack_v2, tmp_path):
    strapi_v2 = clean_strapi_v2
    assert all(r.ok for r in sync_all(mappings_v2, source_v2, strapi_v2))
    medusa_id = medusa_v2_sql("select id from product where deleted_at is null order by handle limit 1")[0][0]
    document_id = strapi_v2.find_by_medusa_ids("products", [medusa_id], query=(("status", "draft"),))[medusa_id]["documentId"]
    url = stack_v2["STRAPI_URL"]

    with browser_page() as page:
        admin_login(page, url)
        edit_view(page, url, document_id, "en")
        handle = page.locator("[name=handle]")
        assert handle.is_disabled() and page.get_by_text("From Medusa: product.handle").count()
        assert page.locator("[name=description]").is_disabled()
        assert not page.locator("[name=title]").is_disabled()  # two-way: edits go back to Medusa
        assert page.get_by_text("edits made here are written back to Medusa").count()
        page.screenshot(path=screenshot_path(tmp_path, "strapi-product-en.png"))

        edit_view(page, url, document_id, "fr")  # no French version yet: the admin offers to create it
        assert page.locator("[name=handle]").is_disabled()
        page.fill("[name=seo_title]", "Une tasse pour le café")
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Saved document").wait_for()
        page.get_by_role("button", name="Publish").click()
        page.get_by_text("Published document").wait_for()
        page.locator("[name=seo_title]").scroll_into_view_if_needed()  # the editor's copy beside Medusa's fields
        page.screenshot(path=screenshot_path(tmp_path, "strapi-product-fr.png"))

    def french():
        return strapi_v2_sql("select case when published_at is null then 'draft' else 'published' end, seo_title, description"
                             " from products where medusa_id = :mid and locale = 'fr' order by 1", mid=medusa_id)

    saved = french()
    assert [row[:2] for row in saved] == [("draft", "Une tasse pour le café"), ("published", "Une tasse pour le café")]
    # The admin's new locale has the shared fields but not the shared relations: the next sync links them, and
    # leaves the editor's copy as it is; the one after has nothing to do.
    again = {r.content_type: r for r in sync_all(mappings_v2, source_v2, strapi_v2)}
    assert (again["product"].created, again["product"].updated) == (0, 1) and french() == saved
    fr_tags = strapi_v2_sql("select count(*) from products p join products_product_tags_lnk l on l.product_id = p.id"
                            " where p.medusa_id = :mid group by p.locale, p.published_at is null order by 1", mid=medusa_id)
    assert len({count for (count,) in fr_tags}) == 1  # the same tags in every locale and status
    third = {r.content_type: r for r in sync_all(mappings_v2, source_v2, strapi_v2)}
    assert sum(r.writes for r in third.values()) == 0

    medusa_v2_sql("update product set description = 'Made of stoneware.', updated_at = now() where id = :id", id=medusa_id)
    changed = {r.content_type: r for r in sync_all(mappings_v2, source_v2, strapi_v2, changes=True, only=["product"])}
    assert changed["product"].updated == 1
    assert french() == [("draft", "Une tasse pour le café", "Made of stoneware."),
                        ("published", "Une tasse pour le café", "Made of stoneware.")]
