"""Two-way fields: what a mapping may declare, what the forward sync and the write-back write for them (pure),
and write-back runs over an in-memory Strapi and a SQLite Medusa."""

import textwrap

import pytest

from pipelines.mapping import MappingErrors
from pipelines.mapping.loader import load_mapping
from pipelines.sync.plan import PlanContext, plan_entry
from pipelines.sync.transform import Record
from pipelines.validate import check_write_back
from pipelines.sync.merge import Base
from pipelines.writeback.plan import WriteBack, is_empty, plan_entry_writes
from pipelines.writeback.run import write_back

PRODUCT = """\
content_type: product
plural: products
source:
  table: product
fields:
  title: title
  subtitle: subtitle
  price: {column: price, convert: minor_units, currency_column: currency}
relations:
  tags:
    target: product
    column: tag_id
cms_only:
  seo: string
write_back: [title, subtitle]
"""


def load(tmp_path, text, name="product.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return load_mapping(path)


def test_write_back_names_mapped_scalar_fields(tmp_path):
    assert load(tmp_path, PRODUCT).write_back == ("title", "subtitle")


@pytest.mark.parametrize("declared, line, fragment", [
    ("[title, seo]", 15, "'seo' is a CMS-only field"),
    ("[tags]", 15, "'tags' is a relation"),
    ("[nope]", 15, "'nope' is not a mapped field"),
    ("[price]", 15, "'price' is computed"),
])
def test_bad_write_back_is_a_file_line_error(tmp_path, declared, line, fragment):
    spec = load(tmp_path, PRODUCT.replace("write_back: [title, subtitle]", f"write_back: {declared}"))
    (error,) = check_write_back([spec])
    assert error.line == line and error.key.startswith("write_back") and fragment in error.message, str(error)
    assert str(error).startswith(f"{spec.path}:{line}: write_back")


@pytest.mark.parametrize("declared, fragment", [("[title, title]", "non-unique elements"), ("title", "expected array")])
def test_a_malformed_write_back_is_refused_when_the_file_loads(tmp_path, declared, fragment):
    with pytest.raises(MappingErrors) as caught:
        load(tmp_path, PRODUCT.replace("write_back: [title, subtitle]", f"write_back: {declared}"))
    error = caught.value.errors[0]
    assert error.line == 15 and error.key.startswith("write_back") and fragment in error.message, str(error)


def test_write_back_needs_a_table_the_admin_api_updates(tmp_path):
    (error,) = check_write_back([load(tmp_path, PRODUCT.replace("table: product", "table: region"))])
    assert "Admin API has no route" in str(error) and "product_category" in str(error)


def test_the_write_back_run_refuses_a_bad_declaration(tmp_path):
    spec = load(tmp_path, PRODUCT.replace("write_back: [title, subtitle]", "write_back: [price]"))
    with pytest.raises(MappingErrors):
        write_back(spec, source=None, client=None, admin=None)


CTX = PlanContext(content_type="product", relations={}, cms_owned=frozenset({"title"}))


def test_a_two_way_field_is_set_on_create_and_becomes_the_base():
    plan = plan_entry(Record("prod_1", {"title": "Medusa", "subtitle": "s"}), None, CTX)
    assert plan.action == "create" and plan.data["title"] == "Medusa" and plan.agreed == {"title": "Medusa"}


def test_a_rename_in_medusa_reaches_strapi_when_strapi_still_holds_the_base():
    """Scenario 1 of issue 24: renamed in Medusa's admin, untouched in Strapi."""
    current = {"documentId": "d1", "title": "Shirt"}
    ctx = PlanContext(content_type="product", relations={}, cms_owned=frozenset({"title"}),
                      bases={"prod_1": Base({"title": "Shirt"})})
    plan = plan_entry(Record("prod_1", {"title": "Tee"}), current, ctx)
    assert plan.action == "update" and plan.data == {"title": "Tee"} and plan.agreed == {"title": "Tee"}


def test_an_editors_value_is_never_overwritten_but_other_fields_are():
    current = {"documentId": "d1", "title": "Editor's", "subtitle": "old"}
    for bases in (None, {"prod_1": Base({"title": "Medusa"})}):  # no base yet, or the editor changed it since
        ctx = PlanContext(content_type="product", relations={}, cms_owned=frozenset({"title"}), bases=bases)
        plan = plan_entry(Record("prod_1", {"title": "Medusa", "subtitle": "new"}), current, ctx)
        assert plan.action == "update" and plan.data == {"subtitle": "new"} and plan.agreed == {}
        same = plan_entry(Record("prod_1", {"title": "Medusa", "subtitle": "old"}), current, ctx)
        assert same.action == "unchanged"  # the write-back merges the editor's change (or the conflict)


def test_equal_values_become_the_base_without_a_write():
    ctx = PlanContext(content_type="product", relations={}, cms_owned=frozenset({"title"}), bases={})
    plan = plan_entry(Record("prod_1", {"title": "Tee"}), {"documentId": "d1", "title": "Tee"}, ctx)
    assert plan.action == "unchanged" and plan.agreed == {"title": "Tee"}
    known = plan_entry(Record("prod_1", {"title": "Tee"}), {"documentId": "d1", "title": "Tee"},
                       PlanContext(content_type="product", relations={}, cms_owned=frozenset({"title"}),
                                   bases={"prod_1": Base({"title": "Tee"})}))
    assert known.action == "unchanged" and known.agreed == {}  # an unchanged catalog records nothing


@pytest.mark.parametrize("empty", [None, ""])
def test_an_empty_owned_field_is_filled_from_medusa(empty):
    plan = plan_entry(Record("prod_1", {"title": "Medusa"}), {"documentId": "d1", "title": empty}, CTX)
    assert plan.action == "update" and plan.data == {"title": "Medusa"}


class Spec:
    """The parts of a MappingSpec plan_entry_writes reads."""

    key = "medusa_id"
    write_back = ("title", "subtitle")
    on_conflict = "strapi"
    cursor = "updated_at"
    fields = {"title": type("F", (), {"column": "title"})(), "subtitle": type("F", (), {"column": "subtitle"})()}

    @staticmethod
    def source_key(medusa_id):
        return medusa_id


def test_write_back_sends_each_sides_changes_and_never_an_empty_value():
    entries = [
        {"documentId": "d1", "medusa_id": "p1", "title": "New", "subtitle": "same"},  # title edited in Strapi
        {"documentId": "d2", "medusa_id": "p2", "title": "Same", "subtitle": "Same"},  # nothing to do (a round trip settles)
        {"documentId": "d3", "medusa_id": "p3", "title": "", "subtitle": None},  # empty: filled from Medusa, never sent to it
        {"documentId": "d4", "medusa_id": "p4", "title": "Shirt", "subtitle": "s"},  # renamed in Medusa: goes to Strapi
        {"documentId": "d5", "medusa_id": "gone", "title": "X", "subtitle": "Y"},  # its Medusa row is deleted: nothing
        {"documentId": "d6", "medusa_id": None, "title": "X"},  # not synced
    ]
    rows = {"p1": {"title": "Old", "subtitle": "same"}, "p2": {"title": "Same", "subtitle": "Same"},
            "p3": {"title": "T", "subtitle": "S"}, "p4": {"title": "Tee", "subtitle": "s"}}
    bases = {mid: Base({"title": row["title"], "subtitle": row["subtitle"]}) for mid, row in rows.items()}
    bases["p1"] = Base({"title": "Old", "subtitle": "same"})
    bases["p4"] = Base({"title": "Shirt", "subtitle": "s"})
    planned = {p.medusa_id: p for p in plan_entry_writes(entries, rows, bases, Spec, at="2025-01-01T00:00:00.000Z")}
    assert set(planned) == {"p1", "p3", "p4"}  # p2 agrees and its base stands: nothing, not even a base write
    assert planned["p1"].to_medusa == WriteBack("p1", "p1", {"title": "New"}) and planned["p1"].to_strapi == {}
    assert planned["p3"].to_medusa is None and planned["p3"].to_strapi == {"title": "T", "subtitle": "S"}
    assert planned["p4"].to_medusa is None and planned["p4"].to_strapi == {"title": "Tee"}
    assert planned["p4"].base.values == {"title": "Tee", "subtitle": "s"} and not planned["p4"].conflicts


def test_entries_without_a_base_take_the_agreed_values_and_differences_go_by_the_rule():
    entries = [{"documentId": "d1", "medusa_id": "p1", "title": "Same", "subtitle": "s"},
               {"documentId": "d2", "medusa_id": "p2", "title": "Editor", "subtitle": "s"}]
    rows = {"p1": {"title": "Same", "subtitle": "s"}, "p2": {"title": "Merchant", "subtitle": "s"}}
    planned = {p.medusa_id: p for p in plan_entry_writes(entries, rows, {}, Spec, at="2025-01-01T00:00:00.000Z")}
    assert not planned["p1"].writes and planned["p1"].base.values == {"title": "Same", "subtitle": "s"}
    (conflict,) = planned["p2"].conflicts
    assert (conflict.had_base, conflict.winner) == (False, "strapi")
    assert planned["p2"].to_medusa.values == {"title": "Editor"}
    assert planned["p2"].base.conflicts["title"]["medusa"] == "Merchant"


def test_empty_means_none_or_empty_string():
    assert is_empty(None) and is_empty("") and not is_empty(" ") and not is_empty(0)


# --- a value Medusa refuses is quarantined; the rest is written and the watermark moves on ---

from pipelines.writeback.plan import quarantines  # noqa: E402


@pytest.mark.parametrize("status, quarantined", [
    (400, True), (413, True), (422, True), (414, True),  # the value itself: quarantined, the run goes on
    (401, False), (403, False), (404, False), (408, False), (409, False), (423, False), (429, False),  # the moment
    (500, False), (502, False), (503, False), (None, False),  # Medusa's trouble, or no answer
])
def test_which_refusals_quarantine_the_value_and_which_fail_the_run(status, quarantined):
    assert quarantines(status) is quarantined


class InMemoryStrapi:
    """The calls a write-back run makes of a StrapiClient, over entries kept in memory (filters: $eq, $gte,
    $notNull, $in)."""

    def __init__(self, **plurals):
        self.entries = {plural: list(entries) for plural, entries in plurals.items()}
        self.ids = 0

    def iter_entries(self, plural, *, fields=(), filters=None, **_):
        wanted = {}
        for key, value in filters or []:
            name, op = key.removeprefix("filters[").split("][")[:2]
            wanted.setdefault((name, op.rstrip("]")), []).append(value)
        for entry in self.entries.setdefault(plural, []):
            if all(self._matches(entry.get(name), op, values) for (name, op), values in wanted.items()):
                yield dict(entry)

    @staticmethod
    def _matches(held, op, values):
        return {"$eq": lambda: held == values[0], "$gte": lambda: (held or "") >= values[0],
                "$notNull": lambda: held is not None, "$in": lambda: held in values}[op]()

    def find_by(self, plural, field, values, *, fields=()):
        return {e[field]: e for e in self.iter_entries(plural, filters=[(f"filters[{field}][$in][{i}]", v) for i, v in enumerate(values)])}

    def upsert_by(self, plural, field, value, data, *, create_only=()):
        for entry in self.entries.setdefault(plural, []):
            if entry.get(field) == value:
                entry.update(data)
                return "updated"
        self.ids += 1
        self.entries[plural].append({field: value, **dict(create_only), **data, "documentId": f"doc{self.ids}"})
        return "created"

    def delete(self, plural, document_id):
        self.entries[plural] = [e for e in self.entries[plural] if e["documentId"] != document_id]

    def idempotent_route(self, prefix):
        pass

    def request(self, method, path, **_):  # no bulk-upsert plugin here: the ledger is written over REST
        from pipelines.strapi.client import StrapiError

        raise StrapiError(method, path, 404, "Not Found")


class SqliteMedusa:
    """The parts of a MedusaSource a write-back reads (identity, tables, engine), on an in-memory SQLite."""

    identity = "127.0.0.1:5432/medusa"

    def __init__(self, rows):
        import sqlalchemy as sa

        self.engine = sa.create_engine("sqlite://")
        metadata = sa.MetaData()
        self.product = sa.Table("product", metadata, sa.Column("id", sa.Text, primary_key=True), sa.Column("title", sa.Text),
                                sa.Column("subtitle", sa.Text), sa.Column("deleted_at", sa.Text))
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            conn.execute(self.product.insert(), rows)

    def table(self, name, schema="public"):
        return self.product


def medusa_admin_answering(statuses):
    """Medusa's Admin API on a local server: the login, then each product's update answered by `statuses[id]`."""
    from .fake_http import ScriptedServer

    def answer(method, path):
        if path == "/auth/user/emailpass":
            return 200, {}, {"token": "medusa-admin-jwt-" + "9z" * 10}
        status = statuses.get(path.rsplit("/", 1)[-1], 200)
        return status, {}, {"type": "invalid_data", "message": f"refused with {status}"} if status >= 400 else {"product": {}}

    return ScriptedServer(answer)


BIG = "x" * 1_000_000


def test_a_value_medusa_refuses_is_quarantined_and_the_rest_goes_on(tmp_path):
    from pipelines.medusa.admin import AdminAccount, MedusaAdmin
    from pipelines.writeback.run import state_name

    spec = load(tmp_path, PRODUCT)
    strapi = InMemoryStrapi(products=[
        {"documentId": "d1", "medusa_id": "p_big", "title": BIG, "subtitle": "s", "updatedAt": "2025-01-01T10:00:00.000Z"},
        {"documentId": "d2", "medusa_id": "p_ok", "title": "New", "subtitle": "s", "updatedAt": "2025-01-01T10:05:00.000Z"},
    ])
    medusa = SqliteMedusa([{"id": "p_big", "title": "Old", "subtitle": "s"}, {"id": "p_ok", "title": "Old", "subtitle": "s"}])
    statuses = {"p_big": 413}
    with medusa_admin_answering(statuses) as server:
        admin = MedusaAdmin(AdminAccount(server.url, "admin@shop.test", "admin-password"), retries=0)
        result = write_back(spec, medusa, strapi, admin)
        assert result.written == 1 and result.failures == [] and result.ok
        ((medusa_id, reason),) = result.quarantined
        assert medusa_id == "p_big" and "413" in reason and "refused with 413" in reason
        (row,) = strapi.entries["quarantined-rows"]
        assert (row["content_type"], row["medusa_id"], row["action"]) == (state_name("product"), "p_big", "write-back")
        assert "413" in row["reason"] and row["source"] == medusa.identity
        (mark,) = strapi.entries["sync-states"]  # the watermark moved past both entries: the sensor stops relaunching
        assert mark["content_type"] == "write-back:product" and mark["watermark"]["high"] == "2025-01-01T10:05:00.000Z"
        assert "quarantined=1" in result.summary()

        # an editor shortens the title: the next run writes it, and the entry leaves the quarantine
        with medusa.engine.begin() as conn:  # Medusa took p_ok's title
            conn.execute(medusa.product.update().where(medusa.product.c.id == "p_ok").values(title="New"))
        strapi.entries["products"][0].update(title="Short", updatedAt="2025-01-01T11:00:00.000Z")
        statuses["p_big"] = 200
        again = write_back(spec, medusa, strapi, admin)
        assert again.written == 1 and again.quarantined == [] and strapi.entries["quarantined-rows"] == []


@pytest.mark.parametrize("status", [401, 409, 503])
def test_a_refusal_that_says_nothing_about_the_value_fails_the_run_and_keeps_the_watermark(tmp_path, status):
    from pipelines.medusa.admin import AdminAccount, MedusaAdmin

    spec = load(tmp_path, PRODUCT)
    strapi = InMemoryStrapi(products=[
        {"documentId": "d1", "medusa_id": "p_1", "title": "New", "subtitle": "s", "updatedAt": "2025-01-01T10:00:00.000Z"}])
    medusa = SqliteMedusa([{"id": "p_1", "title": "Old", "subtitle": "s"}])
    with medusa_admin_answering({"p_1": status}) as server:
        admin = MedusaAdmin(AdminAccount(server.url, "admin@shop.test", "admin-password"), retries=0)
        result = write_back(spec, medusa, strapi, admin)
    assert not result.ok and [m for m, _ in result.failures] == ["p_1"] and result.quarantined == []
    assert strapi.entries.get("quarantined-rows", []) == [] and strapi.entries.get("sync-states", []) == []


def test_an_entry_is_trusted_only_with_the_medusa_id_it_was_first_seen_with():
    from pipelines.writeback.plan import check_pairs

    entries = [{"documentId": "d1", "medusa_id": "p1"}, {"documentId": "d2", "medusa_id": "p3"},
               {"documentId": "d3", "medusa_id": "p9"}]
    check = check_pairs(entries, {"d1": "p1", "d2": "p2"})
    assert [e["documentId"] for e in check.trusted] == ["d1", "d3"]
    ((medusa_id, reason),) = check.moved
    assert medusa_id == "p3" and "'p2'" in reason and "changed in Strapi" in reason
    assert check.new_pairs == {"d3": "p9"}


def test_an_entry_whose_medusa_id_was_moved_writes_nothing_and_is_quarantined(tmp_path):
    """An editor re-points the entry of p_one at p_two and retitles it: Medusa's p_two keeps its title."""
    from pipelines.medusa.admin import AdminAccount, MedusaAdmin

    spec = load(tmp_path, PRODUCT)
    strapi = InMemoryStrapi(products=[
        {"documentId": "d1", "medusa_id": "p_one", "title": "One", "subtitle": "s", "updatedAt": "2025-01-01T10:00:00.000Z"},
    ])
    medusa = SqliteMedusa([{"id": "p_one", "title": "One", "subtitle": "s"}, {"id": "p_two", "title": "Two", "subtitle": "s"}])
    with medusa_admin_answering({}) as server:
        admin = MedusaAdmin(AdminAccount(server.url, "admin@shop.test", "admin-password"), retries=0)
        first = write_back(spec, medusa, strapi, admin)  # the pair is recorded the first time it is seen
        assert first.ok and first.written == 0 and [r["key"] for r in strapi.entries["synced-entries"]] == ["product:d1"]
        strapi.entries["products"][0].update(medusa_id="p_two", title="Hijacked", updatedAt="2025-01-01T11:00:00.000Z")
        moved = write_back(spec, medusa, strapi, admin)
        assert moved.written == 0 and moved.ok
        ((medusa_id, reason),) = moved.quarantined
        assert medusa_id == "p_two" and "'p_one'" in reason
        assert [row["medusa_id"] for row in strapi.entries["quarantined-rows"]] == ["p_two"]
    with medusa.engine.connect() as conn:
        assert conn.execute(medusa.product.select().where(medusa.product.c.id == "p_two")).one().title == "Two"


def test_on_conflict_takes_a_known_rule_and_needs_write_back(tmp_path):
    assert load(tmp_path, PRODUCT + "on_conflict: newest\n").on_conflict == "newest"
    assert load(tmp_path, PRODUCT).on_conflict == "strapi"
    with pytest.raises(MappingErrors) as bad:
        load(tmp_path, PRODUCT + "on_conflict: editor\n")
    assert "product.yaml:16: on_conflict: 'editor' is not one of strapi, medusa, newest" in str(bad.value.errors[0])
    without = PRODUCT.replace("write_back: [title, subtitle]\n", "on_conflict: medusa\n")
    with pytest.raises(MappingErrors) as alone:
        load(tmp_path, without)
    assert "on_conflict applies to write_back fields" in str(alone.value.errors[0])
