"""Field types every door shares (REST, MCP): record ids, versions, the product help text.

Defined once here so an id the REST API accepts is exactly an id an MCP tool accepts.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from perfumery.ifra import PRODUCTS
from perfumery.recipe import Recipe
from tools.errors import KOREAN_RULE

# Ids and versions stop at the largest integer every JSON client reads exactly (and that the OpenAPI
# document, whose bounds are floats, states exactly); SQLite's 8-byte integers hold it, so no value fails in
# the database driver instead of in validation.
MAX_DB_INT = 2**53 - 1
MAX_ID_CHARS = 64
# The id rule as the OpenAPI document states it (ECMA-262, JSON Schema's dialect: "$" is the end of the
# string) and as the server applies it (whole-string match: Python's "$" would also pass a final "\n").
ID_PATTERN = r"^[A-Za-z0-9_-]+$"
_ID = re.compile(r"[A-Za-z0-9_-]+")


def _whole_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise PydanticCustomError("string_pattern_mismatch", "id: letters, digits, '-' and '_' only")
    return value


DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
# A session or recipe id, wherever it arrives (body, path, query, form, tool arguments).
RecordId = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS, json_schema_extra={"pattern": ID_PATTERN}),
                     AfterValidator(_whole_id)]

PRODUCT_HELP = ("제품 (IFRA 카테고리와 부향률이 따라갑니다); 없으면 메시지에서 읽거나 향수: "
                + ", ".join(f"{p.value}={info.label_ko}" for p, info in PRODUCTS.items()))


class FormulaInput(BaseModel):
    """The formula a tool works on: given whole (the recipe JSON), or stored (its id and, optionally, a
    version; a stored recipe is read as the caller's principal — another's is "not found")."""

    model_config = ConfigDict(extra="forbid")

    recipe: Recipe | None = Field(default=None, description="레시피 JSON (design_formula·import_formula 의 recipe)")
    recipe_id: RecordId | None = Field(default=None, description="저장된 레시피 id (채팅·REST 에서 만든 것)")
    version: DbId | None = Field(default=None, description="저장된 레시피의 버전; 없으면 최신")

    @model_validator(mode="after")
    def _one_formula(self) -> FormulaInput:
        if (self.recipe is None) == (self.recipe_id is None):
            raise PydanticCustomError(KOREAN_RULE, "recipe(레시피 JSON)와 recipe_id(저장된 레시피) 중 하나만 주세요.")
        if self.version is not None and self.recipe_id is None:
            raise PydanticCustomError(KOREAN_RULE, "version 은 recipe_id 와 함께만 쓸 수 있어요.")
        return self
