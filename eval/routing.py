"""How well the turn is read: route accuracy, per-route confusion, edit-operation exact match and — for briefs
labelled with one — the product read, on a labelled set of Korean messages (eval/data/routing.yaml), through
the same guard and reading the chat uses."""

from __future__ import annotations

from collections import Counter
from fnmatch import fnmatch
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from agent.reading.edit_parser import EditRequest
from agent.reading.guard import is_injection
from agent.reading.interpret import MaterialNames, build_brief
from agent.reading.message import Route, read
from knowledge.kb import KnowledgeBase
from knowledge.lexicon import get_lexicon_matcher
from perfumery.batch import BatchBasis
from perfumery.edits import (
    AddMaterial,
    ChangeConcentration,
    ChangeProduct,
    EditOp,
    RemoveCharacter,
    RemoveMaterial,
    SetPercent,
    Shift,
    Substitute,
    SubstituteCharacter,
)
from perfumery.ifra import Product
from perfumery.models import NotePosition
from perfumery.recipe import Ingredient, Recipe

ROUTING_SET = Path(__file__).parent / "data" / "routing.yaml"


class RoutingCase(BaseModel):
    text: str
    split: str = Field(default="dev", pattern=r"^(dev|test)$")
    route: Route
    context: str | None = None
    ops: list[str] = Field(default_factory=list)
    product: Product | None = Field(default=None, description="for a new brief: the product it is for")


class Miss(BaseModel):
    split: str
    text: str
    context: str | None
    expected: str
    got: str


class RoutingReport(BaseModel):
    messages: int
    route_accuracy: float
    by_split: dict[str, float] = Field(description="route accuracy on the dev split (rules tuned on it) and test")
    confusion: dict[str, dict[str, int]] = Field(description="expected route → routes given, with counts")
    edits: int
    edit_exact: float = Field(description="share of edit messages whose operations match exactly (order-free)")
    formula_from_non_design: int = Field(description="small talk / off-topic messages routed to a new formula")
    briefs_with_product: int = Field(default=0, description="new briefs labelled with the product they are for")
    product_exact: float = Field(default=0.0, description="share of those whose brief is for the labelled product")
    misses: list[Miss]


def op_key(op: EditOp) -> str:
    """The label form of an operation (see the header of eval/data/routing.yaml)."""
    match op:
        case SetPercent():
            return f"set:{op.material_id}:{op.percent:g}"
        case AddMaterial():
            return f"add:{op.material_id}" + (f":{op.percent:g}" if op.percent is not None else "")
        case RemoveMaterial():
            return f"remove:{op.material_id}"
        case Substitute():
            return f"sub:{op.material_id}>{op.replacement or '*'}"
        case Shift():
            sign = "+" if op.direction > 0 else "-"
            return f"shift:{op.target}:{sign}" + (f"@{op.position.value}" if op.position else "")
        case ChangeConcentration():
            return f"conc:{op.concentration.value}"
        case ChangeProduct():
            return f"product:{op.product.value}"
        case RemoveCharacter():
            return f"out:{op.target}" + (f"@{op.position.value}" if op.position else "")
        case SubstituteCharacter():
            return f"swap:{op.target}>{op.replacement}"
    raise TypeError(op)


def request_keys(request: EditRequest | None) -> list[str]:
    if request is None:
        return []
    keys = [op_key(op) for op in request.ops] + [f"absent:{a.material_id}" for a in request.absent]
    if request.batch_grams:
        keys.append(f"batch:{request.batch_grams:g}" + ("@product" if request.batch_basis == BatchBasis.product
                                                         else ""))
    if request.cost:
        keys.append("cost")
    return keys


def ops_match(expected: list[str], got: list[str]) -> bool:
    """Same operations, order-free; an expected label may be a glob ("sub:rose_absolute>jasmine_*")."""
    if len(expected) != len(got):
        return False
    left = list(got)
    for pattern in expected:
        hit = next((g for g in left if fnmatch(g, pattern)), None)
        if hit is None:
            return False
        left.remove(hit)
    return True


def context_recipes(raw: dict[str, dict[str, list]], kb: KnowledgeBase) -> dict[str, Recipe]:
    recipes = {}
    for name, lines in raw.items():
        ingredients = [Ingredient(material_id=m, name_ko=kb.materials[m].name_ko, name_en=kb.materials[m].name_en,
                                  note=NotePosition(note), percent=float(percent))
                       for m, (note, percent) in lines.items()]
        recipes[name] = Recipe(name=name, ingredients=ingredients)
    return recipes


def load_routing_set(path: Path = ROUTING_SET) -> tuple[dict[str, dict[str, list]], list[RoutingCase]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return raw["contexts"], [RoutingCase.model_validate(m) for m in raw["messages"]]


def evaluate_routing(kb: KnowledgeBase, path: Path = ROUTING_SET) -> RoutingReport:
    """Read every labelled message as the chat would and compare route and operations with the labels."""
    raw_contexts, cases = load_routing_set(path)
    contexts = context_recipes(raw_contexts, kb)
    matcher, names = get_lexicon_matcher(kb), MaterialNames(kb)
    confusion: dict[str, Counter] = {}
    misses: list[Miss] = []
    edits = exact = formula_leaks = products = products_right = 0
    right: Counter = Counter()
    seen = Counter(case.split for case in cases)
    for case in cases:
        recipe = contexts[case.context] if case.context else None
        reading = read(case.text, kb=kb, matcher=matcher, names=names, recipe=recipe,
                       injection=is_injection(case.text))
        confusion.setdefault(case.route.value, Counter())[reading.route.value] += 1
        if reading.route == case.route:
            right[case.split] += 1
        else:
            misses.append(Miss(split=case.split, text=case.text, context=case.context, expected=case.route.value,
                               got=reading.route.value))
        if case.route in (Route.smalltalk, Route.off_topic) and reading.route == Route.new_brief:
            formula_leaks += 1
        if case.product is not None:
            products += 1
            brief = build_brief(case.text, kb, reading.matches, reading.mentions)
            if reading.route == Route.new_brief and brief.product == case.product:
                products_right += 1
            else:
                misses.append(Miss(split=case.split, text=case.text, context=case.context,
                                   expected=f"product:{case.product.value}", got=f"product:{brief.product.value}"))
        if case.route == Route.edit:
            edits += 1
            got = request_keys(reading.edit)
            if reading.route == Route.edit and ops_match(case.ops, got):
                exact += 1
            elif reading.route == Route.edit:
                misses.append(Miss(split=case.split, text=case.text, context=case.context, expected=" ".join(sorted(case.ops)),
                                   got=" ".join(sorted(got)) or "(no ops)"))
    return RoutingReport(
        messages=len(cases), route_accuracy=round(sum(right.values()) / len(cases), 4),
        by_split={split: round(right[split] / n, 4) for split, n in sorted(seen.items())},
        confusion={k: dict(v) for k, v in sorted(confusion.items())}, edits=edits,
        edit_exact=round(exact / edits, 4) if edits else 0.0, formula_from_non_design=formula_leaks,
        briefs_with_product=products, product_exact=round(products_right / products, 4) if products else 0.0,
        misses=misses,
    )
