"""Relational store (SQLAlchemy 2 async, aiosqlite by default): the system of record for every turn."""

from store.principals import LOCAL, SYSTEM, Principal
from store.records import GenerationRecord, RetrievalRecord, SessionTranscript, TurnRecord, TurnView
from store.repository import NotFoundError, Store

__all__ = ["LOCAL", "SYSTEM", "GenerationRecord", "NotFoundError", "Principal", "RetrievalRecord",
           "SessionTranscript", "Store", "TurnRecord", "TurnView"]
