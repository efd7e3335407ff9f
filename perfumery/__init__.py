"""Hyanggi's domain core: a perfumer's notebook in code. Pure, synchronous, no I/O.

The small API: ``compose`` a brief into formulas, ``critique`` any formula, ``repair`` it to a valid
fixed point, ``apply_edits`` to it typed operations (each moved line with its reason).
"""

from perfumery.batch import BatchSheet, CostEstimate, estimate_cost, scale_batch
from perfumery.brief import Brief
from perfumery.catalog import Catalog, UnknownMaterialError
from perfumery.composer import compose
from perfumery.critic import CriticWeights, Critique, critique, critiqued
from perfumery.diff import RecipeDiff, diff
from perfumery.edits import (
                             Absorb,
                             AddMaterial,
                             ChangeConcentration,
                             ChangeProduct,
                             EditError,
                             EditOp,
                             EditResult,
                             RemoveCharacter,
                             RemoveMaterial,
                             SetPercent,
                             Shift,
                             Substitute,
                             SubstituteCharacter,
                             apply_edits,
                             edit,
                             edit_many,
)
from perfumery.pyramid import PyramidBands
from perfumery.recipe import Ingredient, Recipe
from perfumery.repair import repair

__all__ = [
    "Absorb", "AddMaterial", "EditResult", "RemoveCharacter", "SubstituteCharacter", "apply_edits", "BatchSheet", "Brief", "Catalog", "ChangeConcentration", "ChangeProduct", "CostEstimate", "Critique",
    "CriticWeights", "EditError", "EditOp", "Ingredient", "PyramidBands", "Recipe", "RecipeDiff",
    "RemoveMaterial", "SetPercent", "Shift", "Substitute", "UnknownMaterialError", "compose", "critique",
    "critiqued", "diff", "edit", "edit_many", "estimate_cost", "repair", "scale_batch",
]
