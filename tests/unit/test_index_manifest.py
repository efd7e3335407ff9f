"""The index manifest names nothing by absolute path, so a data folder moved or copied elsewhere still
serves its index."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

from hyanggi.settings import Settings
from knowledge.index import IndexManifest, embedder_identity, read_manifest, require_current_index

KB = SimpleNamespace(content_hash="abc123")


def _built_data_dir(root: Path) -> Settings:
    """A data folder as `hyanggi setup` leaves it: the exported embedder and a manifest for it."""
    settings = Settings(data_dir=root)
    settings.embedder_dir.mkdir(parents=True)
    (settings.embedder_dir / "hyanggi_export.json").write_text(json.dumps({"source_sha256": "f00d",
                                                                           "export_version": 2}))
    settings.chroma_dir.mkdir(parents=True)
    manifest = IndexManifest(content_hash=KB.content_hash, embedder=embedder_identity(settings), dimension=384,
                             counts={"materials": 1}, build_seconds=1.0)
    (settings.chroma_dir / "hyanggi_manifest.json").write_text(manifest.model_dump_json())
    return settings


def test_a_copied_data_folder_keeps_a_current_index(tmp_path: Path) -> None:
    original = _built_data_dir(tmp_path / "old")
    assert str(tmp_path) not in read_manifest(original).embedder
    shutil.copytree(tmp_path / "old", tmp_path / "new" / "place")
    moved = Settings(data_dir=tmp_path / "new" / "place")
    assert require_current_index(moved, KB).counts == {"materials": 1}


def test_an_embedder_outside_the_data_folder_keeps_its_own_name(tmp_path: Path) -> None:
    elsewhere = tmp_path / "models" / "e5"
    assert embedder_identity(Settings(data_dir=tmp_path / "data", embedder_model=str(elsewhere))).startswith(
        f"{elsewhere}|")
    assert embedder_identity(Settings(data_dir=tmp_path, embedder_model="intfloat/multilingual-e5-small")) == \
        "intfloat/multilingual-e5-small||query: |passage: "
