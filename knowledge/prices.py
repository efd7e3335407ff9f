"""Cited public prices of materials (``knowledge/data/prices/prices.yaml``), converted to won per kilo on load.

Each price is what one public source states for a pack of a material, with its address, the edition or date
it states, the date it was read and the source's own words; each currency is converted at a cited rate. A
material keeps one price; where none is cited the cost estimate falls back to the material's cost tier and
says so (``perfumery.batch.estimate_cost``). See ``prices/SOURCE.md`` for what was searched and found.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from perfumery.models import ListPrice, Material, MaterialId

PRICES_FILE = Path("prices") / "prices.yaml"


class PriceKind(StrEnum):
    """What kind of figure a source publishes."""

    list_price = "list_price"  # a supplier's catalogue price for a pack
    market = "market"  # a trader's published market price per kilo (bulk)


PRICE_KIND_KO = {PriceKind.list_price: "목록가", PriceKind.market: "시세"}


class ExchangeRate(BaseModel):
    """Won per unit of a currency, from a cited public source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    won: float = Field(gt=0)
    period: str = Field(min_length=1, description="the period the rate is for, as the source states it")
    source: str = Field(min_length=1)
    url: HttpUrl
    accessed: date
    quote: str = Field(min_length=1)


class PriceRecord(BaseModel):
    """One source's price for one material: ``amount`` ``currency`` for ``grams`` of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    material: MaterialId
    kind: PriceKind
    source: str = Field(min_length=1, description="supplier or publisher, and the product as it names it")
    url: HttpUrl
    published: str = Field(min_length=1, description="the edition or date the price is for")
    accessed: date
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    amount: float = Field(gt=0)
    grams: float = Field(gt=0, description="the pack the amount is for")
    quote: str = Field(min_length=1, description="the source's words the figures come from")

    @property
    def per_kg(self) -> float:
        return self.amount * 1000.0 / self.grams


class PriceBook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exchange_rates: list[ExchangeRate]
    prices: list[PriceRecord]


def list_prices(book: PriceBook, materials: Mapping[str, Material], problems: list[str]) -> dict[str, ListPrice]:
    """Won per kilo for each priced material; every reference that does not resolve is a problem."""
    rates = {}
    for rate in book.exchange_rates:
        if rate.currency in rates:
            problems.append(f"prices: two exchange rates for {rate.currency}")
        rates[rate.currency] = rate
    result: dict[str, ListPrice] = {}
    for record in book.prices:
        if record.material not in materials:
            problems.append(f"prices {record.material}: not a material")
            continue
        if record.material in result:
            problems.append(f"prices {record.material}: more than one price (keep one, cite the other in SOURCE.md)")
            continue
        if record.currency != "KRW" and record.currency not in rates:
            problems.append(f"prices {record.material}: no exchange rate for {record.currency}")
            continue
        rate = rates.get(record.currency)
        won = record.per_kg * (rate.won if rate else 1.0)
        converted = (f" × {rate.period} 평균 환율 {rate.won:,.0f}원/{rate.currency} ({rate.source})"
                     if rate else "")
        result[record.material] = ListPrice(
            won_per_kg=round(won), source_ko=(f"{record.source} {record.published} {PRICE_KIND_KO[record.kind]} "
                                              f"{record.currency} {record.per_kg:,.2f}/kg{converted}"))
    return result


def load_prices(data_dir: Path, materials: Mapping[str, Material], problems: list[str]) -> dict[str, ListPrice]:
    """The validated price book of ``data_dir``; an absent file means no cited prices, not an error."""
    path = data_dir / PRICES_FILE
    if not path.exists():
        return {}
    try:
        book = PriceBook.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        problems.append(f"{path.name}: {exc}")
        return {}
    return list_prices(book, materials, problems)
