"""Cited prices: the loader's refusals, the won arithmetic, and the shipped record."""

from knowledge.kb import load_knowledge_base
from knowledge.prices import PriceBook, list_prices
from tests.unit.perfumery_fixtures import CATALOG

RATE = {"currency": "USD", "won": 1400, "period": "2025년", "source": "test bank", "url": "https://example.org/rate",
        "accessed": "2026-12-06", "quote": "1,400 won"}


def price(material: str = "hedione", currency: str = "USD", amount: float = 50.0, grams: float = 500.0) -> dict:
    return {"material": material, "kind": "list_price", "source": "test shop Hedione", "url": "https://example.org/p",
            "published": "2026-12", "accessed": "2026-12-06", "currency": currency, "amount": amount, "grams": grams,
            "quote": "500 g $50"}


def test_a_price_is_won_per_kilo_with_its_source_and_rate_in_words() -> None:
    problems: list[str] = []
    prices = list_prices(PriceBook(exchange_rates=[RATE], prices=[price()]), CATALOG.materials, problems)
    assert problems == [] and prices["hedione"].won_per_kg == 140_000  # $100/kg × 1,400
    assert "test shop Hedione 2026-12 목록가 USD 100.00/kg" in prices["hedione"].source_ko
    assert "1,400원/USD" in prices["hedione"].source_ko


def test_references_that_do_not_resolve_are_problems() -> None:
    problems: list[str] = []
    book = PriceBook(exchange_rates=[RATE], prices=[price("unobtainium"), price("linalool", "EUR"), price(),
                                                    price()])
    assert set(list_prices(book, CATALOG.materials, problems)) == {"hedione"}
    assert any("not a material" in p for p in problems) and any("no exchange rate for EUR" in p for p in problems)
    assert any("more than one price" in p for p in problems)


def test_the_shipped_price_is_cited_dated_and_converted() -> None:
    lemon = load_knowledge_base().materials["lemon_oil"].price
    assert lemon is not None and lemon.won_per_kg == 25 * 1422
    assert "2019" in lemon.source_ko and "1,422원/USD" in lemon.source_ko and "시세" in lemon.source_ko
