"""Kiwi's analyses of the knowledge base's texts, kept on disk between processes.

Kiwi analyses the ~550 search documents (BM25 terms) in about 2 s on this machine and the ~2,100 lexicon forms
(their content stems) in about 3 s, which every process that searches paid at start (`hyanggi search`, `ask`,
each web worker) for the same result. The results are stored per text, so a changed record is analysed again
and the others are read back; each file is keyed by kiwi's version and the source of the modules that
tokenize, so a change to either starts it afresh. Losing or corrupting a file costs only the analysis.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from hyanggi.settings import Settings
from knowledge import korean


def cache_path(settings: Settings, kind: str) -> Path:
    """``kind``'s file, beside the data the process owns (not in the Chroma folder: a Chroma server keeps the
    vectors elsewhere)."""
    return settings.data_dir / "cache" / f"{kind}.json"


def _text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def tokenizer_key(tokenize: Callable[[str], list[str]]) -> str:
    """What the results depend on besides the text: kiwi and its model, the function, and the code of
    knowledge/korean.py and of the function's own module."""
    digest = hashlib.sha256(Path(korean.__file__).read_bytes())
    module = inspect.getmodule(tokenize)
    if module is not None and module.__file__:
        digest.update(Path(module.__file__).read_bytes())
    return (f"kiwipiepy {metadata.version('kiwipiepy')} model {metadata.version('kiwipiepy_model')} "
            f"{getattr(tokenize, '__qualname__', type(tokenize).__qualname__)} code {digest.hexdigest()[:16]}")


def _read(path: Path, key: str) -> dict[str, list[str]]:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict) or stored.get("tokenizer") != key or not isinstance(stored.get("terms"), dict):
        return {}
    return stored["terms"]


def _write(path: Path, key: str, terms: dict[str, list[str]]) -> None:
    """Atomically (another process may read or write it at the same moment); a read-only place is skipped."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        temp.write_text(json.dumps({"tokenizer": key, "terms": terms}, ensure_ascii=False), encoding="utf-8")
        os.replace(temp, path)


def cached_terms(texts: Sequence[str], path: Path | None,
                 tokenize: Callable[[str], list[str]] = korean.word_tokens) -> list[list[str]]:
    """``tokenize(text)`` for every text, read from ``path`` where stored; the file then holds exactly these
    texts. Without a path nothing is stored."""
    if path is None:
        return [tokenize(text) for text in texts]
    key = tokenizer_key(tokenize)
    stored = _read(path, key)
    keys = [_text_key(text) for text in texts]
    terms = {k: stored[k] if k in stored else tokenize(text) for k, text in zip(keys, texts, strict=True)}
    if terms.keys() != stored.keys():
        _write(path, key, terms)
    return [terms[k] for k in keys]
