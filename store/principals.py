"""Who owns a record: the principal a request or a chat login stands for.

A perfumer's formula is a trade secret, so sessions, recipes, feedback and jobs each carry the id of the
principal that made them, and every repository method that reads or writes them takes the principal asking.
A principal sees its own records; an admin principal sees every owner's. Ids are stable and not secret (a
front end derives them from an API key's configured name or a hash of its digest, or from a login name:
``ui.api.identity``); no key is ever stored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

OWNER_CHARS = 80  # the owner columns' width
LOCAL_ID = "local"  # no keys configured (one person's machine), and every record made before tenancy
SYSTEM_ID = "system"


class Principal(BaseModel):
    """The one asking. ``admin`` reads (and may continue) every owner's records; what it makes is its own."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=OWNER_CHARS, pattern=r"\A[^\s/]+\z")  # Rust regex: \z, the very end
    admin: bool = False

    def sees(self, owner: str) -> bool:
        return self.admin or owner == self.id


LOCAL = Principal(id=LOCAL_ID)
# Server-side tools that read every owner's records on the operator's behalf (evaluation over transcripts,
# the fine-tuning dataset job) and Chainlit's own access check, which compares the owner it is given.
SYSTEM = Principal(id=SYSTEM_ID, admin=True)


def thread_id(owner: str, session_id: str) -> str:
    """The LangGraph thread of a session: its owner's id in front, so a session id alone never reaches
    another principal's memory. Sessions of the local principal keep their bare id (threads made before
    tenancy continue)."""
    return session_id if owner == LOCAL_ID else f"{owner}/{session_id}"
