"""Child process for the crash test: commits turns forever, printing ACK only after each commit returns."""

import asyncio
import sys

from perfumery.recipe import Ingredient, Recipe
from store import LOCAL, RetrievalRecord, Store, TurnRecord


async def main(url: str, session_id: str) -> None:
    store = await Store.open(url)
    n = 0
    while True:
        recipe = Recipe(id=f"{session_id}-r{n}", ingredients=[Ingredient(material_id="hedione", note="heart",
                                                                         percent=100.0)])
        turn_id = await store.commit_turn(LOCAL, TurnRecord(
            session_id=session_id, user_text=f"메시지 {n}", reply=f"답변 {n}" * 50, route="new_brief", recipe=recipe,
            retrievals=[RetrievalRecord(query="q", collection="materials", ids=["hedione"], scores=[0.9],
                                        texts=["헤디온"])],
        ))
        print(f"ACK {turn_id}", flush=True)
        n += 1


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
