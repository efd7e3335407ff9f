"""The fragrance pyramid: how much of the concentrate sits in top, heart and base, and the bands it should keep.

Composer, repair and edits all move shares between positions; the arithmetic lives here once.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

from perfumery.models import NotePosition

Band = tuple[float, float]


class PyramidBands(BaseModel):
    """Allowed share (% of concentrate) per position. Defaults follow classic fine-fragrance structure."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    top: Band = Field(default=(15.0, 30.0))
    heart: Band = Field(default=(25.0, 45.0))
    base: Band = Field(default=(30.0, 55.0))

    @model_validator(mode="after")
    def _feasible(self) -> PyramidBands:
        for low, high in (self.top, self.heart, self.base):
            if not 0 <= low <= high <= 100:
                raise ValueError(f"band ({low}, {high}) must satisfy 0 <= low <= high <= 100")
        if not self.top[0] + self.heart[0] + self.base[0] <= 100 <= self.top[1] + self.heart[1] + self.base[1]:
            raise ValueError("bands cannot add up to 100: lows must sum <= 100 <= highs")
        return self

    def band(self, position: NotePosition) -> Band:
        return getattr(self, position.value)

    def outside(self, position: NotePosition, share: float, tolerance: float = 0.005) -> float:
        """Percentage points by which ``share`` misses the band (0 inside it)."""
        low, high = self.band(position)
        if share < low - tolerance:
            return low - share
        if share > high + tolerance:
            return share - high
        return 0.0


def fit_into_bands(shares: Mapping[NotePosition, float], bands: PyramidBands,
                   margin: float = 0.5) -> dict[NotePosition, float]:
    """Nearest pyramid (summing to 100) whose positions all sit inside the bands.

    An out-of-band position moves ``margin`` inside its nearest edge, so rounding later cannot push it
    back out; the others absorb the difference in proportion to the room they have.
    """
    edges = {p: bands.band(p) for p in NotePosition}
    if sum(low for low, _ in edges.values()) + 3 * margin > 100 or sum(h for _, h in edges.values()) - 3 * margin < 100:
        margin = 0.0
    inner = {p: (min(low + margin, high), max(high - margin, low)) for p, (low, high) in edges.items()}
    target: dict[NotePosition, float] = {}
    for position in NotePosition:
        share = shares.get(position, 0.0)
        if bands.outside(position, share):
            low, high = inner[position]
            share = low if share < edges[position][0] else high
        target[position] = share
    excess = sum(target.values()) - 100.0
    room = {
        p: max(0.0, target[p] - inner[p][0]) if excess > 0 else max(0.0, inner[p][1] - target[p])
        for p in NotePosition
    }
    total_room = sum(room.values())
    if total_room > 0:
        for p in NotePosition:
            target[p] -= excess * room[p] / total_room
    return target
