"""The IFRA tables name their own amendment: a newer set of tables is named as such without a code change."""

from pathlib import Path

from knowledge.ifra_tables import annex_source_ko, load_standards, source_of, tables_amendment

HEADER = "standard,name,type," + ",".join(f"cat_{c}" for c in (
    "1", "2", "3", "4", "5a", "5b", "5c", "5d", "6", "7a", "7b", "8", "9", "10a", "10b", "11a", "11b", "12")
) + ",expressed_as,note_limit,amendment\n"


def test_a_newer_amendment_is_read_not_typed(tmp_path: Path) -> None:
    cells = ",".join(["0.1"] * 18)
    (tmp_path / "standards.csv").write_text(HEADER + f"IFRA_STD_001,A,RESTRICTION,{cells},,,49\n"
                                            f"IFRA_STD_002,B,RESTRICTION,{cells},,,52\n", encoding="utf-8")
    problems: list[str] = []
    standards = load_standards(tmp_path, problems)
    assert problems == [] and tables_amendment(tmp_path) == "52"
    assert standards["IFRA_STD_001"].source == source_of("52") == (
        "IFRA Standards, 52nd Amendment (International Fragrance Association)")
    assert standards["IFRA_STD_001"].amendment == "49"  # the Standard keeps the amendment that last revised it
    assert annex_source_ko("52") == "IFRA Annex (52차 개정)"
    assert [source_of(n).split(",")[1].split()[0] for n in ("51", "53", "11", "12", "13", "111")] == [
        "51st", "53rd", "11th", "12th", "13th", "111th"]
