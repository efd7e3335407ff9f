"""The workbench over REST: import (body and upload), exports that round-trip, documents, where-used, replace."""

from __future__ import annotations

from tests.unit.test_api_routes import assert_korean_error, client_for, service  # noqa: F401  (fixture)

FORMULA = "베르가못 오일 20g\n헤디온 30g\n해디온 2g\nIso E Super 35g\n바닐린 5g\n이소유제놀 10% DPG 1g\nAmbrocenide 1g\n"


async def test_import_creates_version_one_of_a_session_and_shows_what_to_confirm(service) -> None:  # noqa: F811
    async with client_for(service) as client:
        response = await client.post("/recipes/import", json={"content": FORMULA, "name": "나의 우디"})
        assert response.status_code == 200, response.text
        body = response.json()
        recipe = body["recipe"]
        assert recipe["version"] == 1 and recipe["name"] == "나의 우디"
        assert {line["text"] for line in body["lines"] if line["confirm"]} == {"해디온", "Ambrocenide"}
        assert "Ambrocenide" in body["reply"]
        session = (await client.get(f"/sessions/{body['session']}")).json()
        assert session["turns"][0]["recipe_id"] == recipe["id"]
        used = (await client.get("/materials/hedione/where-used")).json()
        assert used["uses"] == [{"recipe_id": recipe["id"], "name": "나의 우디", "session_id": body["session"],
                                 "version": 1, "percent": next(i["percent"] for i in recipe["ingredients"]
                                                               if i["material_id"] == "hedione")}]
        for kind in ("csv", "json"):
            exported = await client.get(f"/recipes/{recipe['id']}/export/{kind}")
            again = (await client.post("/recipes/import", json={"content": exported.text, "format": kind})).json()
            assert [(i["material_id"], i["percent"], i["dilution"]) for i in again["recipe"]["ingredients"]] == [
                (i["material_id"], i["percent"], i["dilution"]) for i in recipe["ingredients"]]
        sheet = await client.get(f"/recipes/{recipe['id']}/export/batch-sheet", params={"batch": 50, "unit": "g"})
        assert sheet.headers["content-type"].startswith("text/html") and "10% DPG 희석액" in sheet.text
        ifra = (await client.get(f"/recipes/{recipe['id']}/documents/ifra")).json()
        assert ifra["status"] == "needs_check" and "공급사" in ifra["authority_ko"]
        allergens = (await client.get(f"/recipes/{recipe['id']}/documents/allergens")).json()
        assert allergens["threshold_percent"] == 0.001


async def test_upload_replacements_and_replace(service) -> None:  # noqa: F811
    async with client_for(service) as client:
        upload = await client.post("/recipes/import/file",
                                   files={"file": ("mine.csv", "재료,양,단위\n헤디온,30,g\n이소 이 슈퍼,60,g\n바닐린,10,g\n")})
        assert upload.status_code == 200, upload.text
        recipe_id = upload.json()["recipe"]["id"]
        found = (await client.get(f"/recipes/{recipe_id}/replacements", params={"material_id": "iso_e_super"})).json()
        first = found["candidates"][0]
        assert first["reasons_ko"] and "대체 후보" in found["summary_ko"]
        replaced = await client.post(f"/recipes/{recipe_id}/replace",
                                     json={"material_id": "iso_e_super", "replacement": first["material_id"]})
        assert replaced.status_code == 200 and replaced.json()["version"] == 2
        assert all(i["material_id"] != "iso_e_super" for i in replaced.json()["ingredients"])


async def test_unreadable_formulas_are_korean_errors(service) -> None:  # noqa: F811
    async with client_for(service) as client:
        assert_korean_error(await client.post("/recipes/import", json={"content": "안녕하세요"}), 409, "invalid_formula")
        assert_korean_error(await client.post("/recipes/import", json={"content": "헤디온 3g\n바닐린 1mL"}), 409,
                            "invalid_formula")
        assert_korean_error(await client.post("/recipes/import/file", files={"file": ("x.csv", b"\xff\xfe\x00")}),
                            409, "invalid_formula")
        assert_korean_error(await client.get("/materials/nope/where-used"), 404, "not_found")
