"""Cited use levels: the schema refuses an untraceable figure, and the loader derives one range from the sources."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from knowledge.kb import KnowledgeBaseError, load_knowledge_base
from perfumery.models import Citation, UseBasis, UseLevels
from tests.unit.kb_fixtures import MATERIALS, write_kb


def cite(source: str, **figures: float) -> dict:
    return dict(source=source, kind="database", url=f"https://example.org/{source}", accessed="2026-10-01",
                quote=f"{source} says so", **figures)


def levels(*citations: dict, editorial: tuple[float, float] = (0.5, 10)) -> UseLevels:
    return UseLevels(material="hedione", editorial=editorial, citations=list(citations))


def test_agreeing_sources_are_a_consensus_on_the_lowest_maximum() -> None:
    derived = levels(cite("A", min=1, typical=5, max=20), cite("B", max=25)).derive()
    assert derived.use_basis == UseBasis.consensus and derived.use_range == (1, 20)
    assert derived.use_typical == 5 and derived.use_source == "A·B 합의"


def test_disagreeing_sources_keep_the_lower_maximum_and_name_both() -> None:
    derived = levels(cite("A", max=2), cite("B", max=10)).derive()
    assert derived.use_basis == UseBasis.conflict and derived.use_range[1] == 2
    assert "A 2%" in derived.use_source and "B 10%" in derived.use_source


def test_one_source_without_a_minimum_scales_the_editorial_minimum_under_its_maximum() -> None:
    derived = levels(cite("A", max=0.5), editorial=(1, 10)).derive()
    assert derived.use_basis == UseBasis.single and derived.use_range == (0.05, 0.5)
    assert derived.use_source == "A" and derived.use_typical is None


def test_no_source_is_an_editorial_estimate_and_a_ban_is_zero() -> None:
    assert levels().derive().model_dump() == dict(use_range=(0.5, 10), use_typical=None,
                                                  use_basis=UseBasis.editorial, use_source="")
    banned = UseLevels(material="lilial", editorial=(0, 0), prohibited=True).derive()
    assert banned.use_range == (0, 0) and banned.use_basis == UseBasis.prohibited


@pytest.mark.parametrize(("bad", "message"), [
    (dict(url=None), "address"),
    (dict(accessed=None), "accessed"),
    (dict(min=5, max=2), "min <= typical <= max"),
    (dict(max=None), "at least one figure"),
    (dict(quote=""), "quote"),
])
def test_an_untraceable_or_inconsistent_citation_is_refused(bad: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Citation.model_validate({**cite("A", max=2), **bad})


def test_a_book_needs_no_address_but_its_edition() -> None:
    assert Citation(source="Arctander", kind="literature", published="1969", quote="up to 20 %", max=20).max == 20


def test_an_editorial_maximum_below_its_minimum_and_a_ban_with_figures_are_refused() -> None:
    with pytest.raises(ValidationError, match="0 <= min <= max"):
        UseLevels(material="hedione", editorial=(5, 2))
    with pytest.raises(ValidationError, match="prohibited"):
        UseLevels(material="hedione", editorial=(0, 0), prohibited=True, citations=[cite("A", max=1)])


def _use_levels_file(folder: Path) -> Path:
    return folder / "use_levels" / "all.yaml"


def test_the_loader_derives_the_range_from_the_cited_record(tmp_path: Path) -> None:
    folder = write_kb(tmp_path)
    records = yaml.safe_load(_use_levels_file(folder).read_text(encoding="utf-8"))
    hedione = next(r for r in records if r["material"] == "hedione")
    hedione["citations"] = [cite("A", min=1, max=20), cite("B", max=25)]
    _use_levels_file(folder).write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    material = load_knowledge_base(folder).materials["hedione"]
    assert material.use_range == (1, 20) and material.use_basis == UseBasis.consensus
    assert material.use_max == 20 and material.use_source == "A·B 합의"


def test_a_bad_citation_in_the_data_fails_to_load(tmp_path: Path) -> None:
    folder = write_kb(tmp_path)
    records = yaml.safe_load(_use_levels_file(folder).read_text(encoding="utf-8"))
    records[0]["citations"] = [cite("A", min=5, max=2)]
    _use_levels_file(folder).write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="min <= typical <= max"):
        load_knowledge_base(folder)


def test_a_range_written_in_materials_or_a_missing_record_is_refused(tmp_path: Path) -> None:
    folder = write_kb(tmp_path)
    records = yaml.safe_load((folder / "materials" / "all.yaml").read_text(encoding="utf-8"))
    records[0]["use_range"] = [1, 5]
    (folder / "materials" / "all.yaml").write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    levels_records = yaml.safe_load(_use_levels_file(folder).read_text(encoding="utf-8"))
    _use_levels_file(folder).write_text(yaml.safe_dump(levels_records[:-1], allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(folder)
    problems = "\n".join(caught.value.problems)
    assert "use_range belong in use_levels/" in problems
    assert f"{MATERIALS[-1]['id']}: no record in use_levels/" in problems


def test_the_critic_cites_the_source_of_the_maximum_it_holds_a_formula_to() -> None:
    from perfumery.catalog import Catalog
    from perfumery.critic import critique
    from tests.unit.perfumery_fixtures import CATALOG
    from tests.unit.test_critic import BALANCED, recipe

    doses = dict(BALANCED, rose_absolute=8, hedione=15)
    [editorial] = [v for v in critique(recipe(doses), CATALOG).violations if v.code == "dose_over_max"]
    assert "통상 0.2–5%까지 씁니다 (출처 없는 편집 추정치)" in editorial.message_ko
    sourced = CATALOG.materials["rose_absolute"].model_copy(update={"use_source": "PerfumersWorld"})
    catalog = Catalog({**CATALOG.materials, "rose_absolute": sourced}, CATALOG.accords, CATALOG.references,
                      CATALOG.descriptor_families, CATALOG.standards, CATALOG.contributions)
    [cited] = [v for v in critique(recipe(doses), catalog).violations if v.code == "dose_over_max"]
    assert "통상 0.2–5%까지 씁니다 (출처: PerfumersWorld)" in cited.message_ko
