"""The retraining loop's driver against a scripted API: the stages in order, the gate's answer, where it stops."""

from __future__ import annotations

import json

import httpx
import pytest

import ops.retrain_loop
from ops.retrain_loop import CUSTOMER_BRIEFS, LoopConfig, drive

URL = "http://loop"
SHIPPED = "/repo/finetune/adapters/hyanggi-lora.gguf"


class FakeApi:
    """Records every call; jobs finish on their first poll with the result their kind gives."""

    def __init__(self, failing: str = "", gate: int = 200) -> None:
        self.calls: list[tuple[str, str, dict]] = []
        self.jobs: dict[str, dict] = {}
        self.failing, self.gate, self.serving = failing, gate, SHIPPED

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        path = request.url.path.removeprefix("/api/v1")
        self.calls.append((request.method, path, body))
        if path == "/chat":
            answered = body["message"] != CUSTOMER_BRIEFS[1]  # one brief gets no formula
            return httpx.Response(200, json={"session": "s", "turn_id": len(self.calls), "reply": "", "intent": "x",
                                             "recipe": {"id": "r"} if answered else None})
        if path == "/feedback":
            assert request.headers["X-API-Key"] == "customer"
            return httpx.Response(200, json={"id": 1})
        assert request.headers["X-Admin-Key"] == "admin"
        if path == "/admin/status":
            return httpx.Response(200, json={"model": {"adapter": self.serving}})
        if path == "/training/jobs":
            job_id = f"job{len(self.jobs)}"
            self.jobs[job_id] = body
            return httpx.Response(202, json={"id": job_id, "state": "queued"})
        if path.startswith("/training/jobs/"):
            kind = self.jobs[path.rsplit("/", 1)[1]]["kind"]
            result = {"dataset": {"dataset_id": 3}, "train": {"model_id": 7},
                      "evaluate": {"score": 0.6, "baseline": {"score": 0.58}}}[kind]
            state = "failed" if kind == self.failing else "succeeded"
            return httpx.Response(200, json={"state": state, "result": result,
                                             "error": "학습 실패" if state == "failed" else ""})
        if path == "/admin/models/7/activate":
            if self.gate == 200:
                self.serving = "/data/adapters/job1/hyanggi-lora.gguf"
            return httpx.Response(self.gate, json={"active": True} if self.gate == 200 else {"error": {}})
        raise AssertionError(path)


@pytest.fixture(autouse=True)
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops.retrain_loop, "POLL_S", 0.0)


async def run(api: FakeApi) -> ops.retrain_loop.LoopReport:
    return await drive(URL, {"X-API-Key": "customer"}, {"X-API-Key": "operator", "X-Admin-Key": "admin"},
                       LoopConfig(likes=3, briefs=5, steps=2, limit=1), transport=httpx.MockTransport(api))


async def test_liked_turns_flow_through_dataset_training_evaluation_and_the_gate() -> None:
    api = FakeApi()
    report = await run(api)
    assert (report.turns, report.liked) == (2, 2)  # the turn without a formula is not liked
    assert [s.name for s in report.stages] == ["dataset", "train", "evaluate"]
    started = [body for method, path, body in api.calls if (method, path) == ("POST", "/training/jobs")]
    assert started == [{"kind": "dataset", "briefs": 5}, {"kind": "train", "dataset_id": 3, "steps": 2},
                       {"kind": "evaluate", "model_id": 7, "limit": 1}]
    assert report.activation["status"] == 200
    assert (report.serving_before, report.serving_after) == (SHIPPED, "/data/adapters/job1/hyanggi-lora.gguf")


async def test_a_refused_gate_leaves_the_serving_adapter_and_a_failed_job_ends_the_loop() -> None:
    refused = await run(FakeApi(gate=409))
    assert refused.activation["status"] == 409 and refused.serving_after == SHIPPED

    failed = await run(FakeApi(failing="train"))
    assert [(s.name, s.state) for s in failed.stages] == [("dataset", "succeeded"), ("train", "failed")]
    assert failed.stages[-1].error == "학습 실패" and failed.activation["status"] is None
    assert "train: failed" in failed.markdown() and "activate: not reached" in failed.markdown()
