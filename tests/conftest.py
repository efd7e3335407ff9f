"""Shared test set-up: offline, and the integration tier pointed at the data `hyanggi setup` produced."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("HYANGGI_DATA_DIR", str(REPO / "data"))
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["RAGAS_DO_NOT_TRACK"] = "true"
