"""The Chainlit chat UI (Korean) and the REST API on the same server.

Run by `hyanggi chat` (or `chainlit run ui/chainlit_app.py`). Each Chainlit thread is one agent session:
the thread id is our session id, so resume continues the same LangGraph memory and store transcript.

Both doors obey the same rules. The chat's Socket.IO endpoint accepts only the configured browser origins
(Chainlit creates it with every origin allowed), requires a login whenever API keys or a password are set
(the password with a user name, or any API key, logs in), and shares the REST API's per-client rate limit.
Each login is its own principal (``ui.api.identity``): its chats, formulas and ratings are its own, as
they are through the REST API with the same key. Logins are throttled per address and per user name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import chainlit as cl
from chainlit.auth import reuseable_oauth
from chainlit.auth.jwt import decode_jwt
from chainlit.config import FILES_DIRECTORY, TRANSLATIONS_DIR, config_translation_dir
from chainlit.config import config as chainlit_config
from chainlit.input_widget import Select, Slider, Switch
from chainlit.server import app as server
from chainlit.server import get_html_template, sio
from chainlit.types import ThreadDict
from chainlit.utils import utc_now

from agent.reading.guard import clean
from agent.replies.workbench import import_reply_ko
from hyanggi.logs import configure_logging
from hyanggi.settings import AnswerLevel, get_settings
from perfumery.diff import RecipeDiff
from perfumery.documents import batch_sheet_html
from perfumery.formula import FormulaError, formula_file
from perfumery.ifra import PRODUCTS
from perfumery.models import Concentration
from perfumery.recipe import Recipe
from store import LOCAL, NotFoundError, Principal
from ui import chat_charts as charts
from ui import chat_view as view
from ui.api import create_api, mount_api
from ui.api.identity import login_principal, matching_key
from ui.api.limits import LoginThrottle, LoginThrottleMiddleware, RateLimiter, client_id, too_many_requests
from ui.api.security import SecurityHeadersMiddleware, page_csp
from ui.chat_data import ChatPrincipalMiddleware, StoreDataLayer
from ui.chat_runtime import LOADING_KO, Runtime, ServiceUnavailableError
from ui.chat_steps import STEP_TYPE, Stage, StepLine, TurnSteps

if TYPE_CHECKING:
    from agent.service import ChatService

logger = logging.getLogger(__name__)

AUTO = "자동"
STARTERS = [
    ("비 오는 날 카페", "비 오는 날 카페 같은 포근한 향, 너무 달지 않게"),
    ("여름 바다 시트러스", "여름 바닷가에서 뿌릴 상큼한 시트러스 향수 만들어줘"),
    ("따뜻한 앰버 우디", "겨울 저녁에 어울리는 따뜻한 앰버 우디 향 추천해줘"),
    ("재료 질문", "헤디온이 뭐야?"),
]
ECHO_CHARS = 80  # how much of a refused over-long message stays on screen

settings = get_settings()
configure_logging(settings.log_format)
runtime = Runtime(settings)
data_layer = StoreDataLayer(runtime.service)
limiter = RateLimiter.from_settings(settings)  # one budget per client, REST and chat alike


def _auth_secret() -> None:
    """Chainlit signs login tokens with CHAINLIT_AUTH_SECRET: make one once, in the data dir, never in git."""
    if os.environ.get("CHAINLIT_AUTH_SECRET"):
        return
    path = settings.data_dir / "chainlit_auth_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    os.environ["CHAINLIT_AUTH_SECRET"] = path.read_text().strip()


def _install_translation() -> None:
    """Chainlit reads its interface words from .chainlit/translations/<language>.json, a git-ignored copy of its
    own files; ours is its Korean with ``view.TRANSLATION_KO`` over it, written at every start so the keys a
    Chainlit upgrade adds arrive too."""
    language = chainlit_config.ui.language or "ko"
    base = json.loads((Path(TRANSLATIONS_DIR) / f"{language.split('-')[0]}.json").read_text(encoding="utf-8"))
    target = Path(config_translation_dir) / f"{language}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(view.translation(base, view.TRANSLATION_KO), ensure_ascii=False, indent=2),
                         encoding="utf-8")
    temporary.replace(target)  # atomic: a page loading meanwhile reads the old file or the new one


def _chat_csp() -> str:
    """The chat page's CSP: its own inline scripts by hash, the fonts its stylesheet names, and websockets
    back to the served origins only."""
    sockets = [origin.replace("http", "ws", 1) for origin in chainlit_config.project.allow_origins
               if origin.startswith("http")]
    return page_csp(get_html_template(chainlit_config.run.root_path),
                    styles=["https://fonts.googleapis.com", "https://cdn.jsdelivr.net"],
                    fonts=["https://fonts.gstatic.com", "https://cdn.jsdelivr.net"], connect=sockets)


_install_translation()
# public/hyanggi.js counts characters against the guard's limit (agent/reading/guard.py, settings.max_message_chars).
chainlit_config.ui.custom_js_attributes = f'defer data-max-chars="{settings.max_message_chars}"'
LOGIN_REQUIRED = bool(settings.auth_password or settings.api_keys)
mount_api(server, create_api(settings, runtime.service, lambda: runtime.error, limiter=limiter))
server.add_middleware(SecurityHeadersMiddleware, csp=_chat_csp())
# Who each chat HTTP request is (the feedback routes hand the data layer no user), and the login throttle.
server.add_middleware(ChatPrincipalMiddleware, anonymous=None if LOGIN_REQUIRED else LOCAL, token=reuseable_oauth,
                      decode=decode_jwt)
server.add_middleware(LoginThrottleMiddleware, throttle=LoginThrottle(settings.redis_url),
                      path=f"{chainlit_config.run.root_path.rstrip('/')}/login")
# Chainlit builds its Socket.IO server with cors_allowed_origins=[], which turns the Origin check off;
# a browser page from any other site could otherwise drive the chat. Clients that send no Origin
# (not browsers) are still let in, and meet the login below.
sio.eio.cors_allowed_origins = list(chainlit_config.project.allow_origins)

if LOGIN_REQUIRED:
    _auth_secret()

    @cl.password_auth_callback
    def _login(username: str, password: str) -> cl.User | None:
        """The chat password with a user name (each name its own workspace), or any API key (the key's own
        workspace, as in the REST API; a script logs in with its key through POST /login)."""
        if key := matching_key(password, settings.api_keys):
            return cl.User(identifier=key.principal.id, display_name=username or key.principal.id,
                           metadata={"provider": "api_key", "key": key.digest})
        user = login_principal(username)
        if settings.auth_password and user is not None and secrets.compare_digest(
                password.encode(), settings.auth_password.encode()):
            return cl.User(identifier=user.id, display_name=username.strip(), metadata={"provider": "password"})
        return None


def _principal() -> Principal:
    """Whom this chat acts for: its login's principal, or the local one on a server without logins."""
    user = cl.context.session.user
    return Principal(id=user.identifier) if user is not None else LOCAL


@cl.data_layer
def _data_layer() -> StoreDataLayer:
    return data_layer


@cl.on_app_startup
async def _startup() -> None:
    runtime.start()


@cl.on_app_shutdown
async def _shutdown() -> None:
    await runtime.close()


@cl.set_starters
async def _starters(user: cl.User | None = None, language: str | None = None) -> list[cl.Starter]:
    return [cl.Starter(label=label, message=message) for label, message in STARTERS]


# --- session -----------------------------------------------------------------------------
def _chat_settings() -> cl.ChatSettings:
    backend_labels = {"llama_cpp": "Gemma 3 (llama.cpp)", "transformers": "Gemma 3 (transformers)",
                      "composer": "조합기만 (언어 모델 없이, 가장 빠름)"}
    return cl.ChatSettings([
        Select(id="level", label="답변 수준", values=[lv.value for lv in AnswerLevel],
               initial_value=settings.answer_level.value),
        Select(id="concentration", label="농도", values=[AUTO, *(c.value for c in Concentration)], initial_value=AUTO,
               description="자동: 메시지에서 읽거나 EDP"),
        Select(id="product", label="제품 (IFRA 카테고리)",
               items={AUTO: AUTO, **{f"{info.label_ko} (카테고리 {info.category.value})": p.value
                                     for p, info in PRODUCTS.items()}},
               initial_value=AUTO, description="자동: 메시지에서 읽거나 향수(카테고리 4)"),
        Slider(id="creativity", label="창의성 (언어 모델 제안 수)", initial=settings.llm_proposals, min=0, max=3, step=1,
               description="0이면 조합기 후보만, 높을수록 언어 모델의 제안을 더 많이 평가합니다"),
        Select(id="backend", label="생성 방식", items={backend_labels[b]: b for b in runtime.backends()},
               initial_value=settings.generator_backend.value),
        Switch(id="developer", label="개발자 보기", initial=False,
               description="단계마다 내부 id, 영문 태그, 후보별 점수와 소요 시간을 함께 보여 줍니다"),
    ])


@cl.on_chat_start
async def _start() -> None:
    cl.user_session.set("prefs", await _chat_settings().send())


@cl.on_chat_resume
async def _resume(thread: ThreadDict) -> None:
    cl.user_session.set("prefs", await _chat_settings().send())
    for step in reversed(thread["steps"]):
        meta = step.get("metadata") or {}
        if meta.get("recipe_id"):
            cl.user_session.set("recipe_ref", (meta["recipe_id"], meta.get("recipe_version")))
            break


@cl.on_settings_update
async def _settings_update(prefs: dict[str, Any]) -> None:
    cl.user_session.set("prefs", prefs)


# --- turns -------------------------------------------------------------------------------
@cl.on_message
async def _on_message(message: cl.Message) -> None:
    if len(message.content) > settings.max_message_chars:
        await refuse_long(message)
        return
    files = [e for e in message.elements or [] if getattr(e, "path", None)]
    if files:
        await import_file(files[0])
        return
    await run_turn(message.content)


async def refuse_long(message: cl.Message) -> None:
    """A message over the guard's limit is refused before any work, and its echo in the chat is cut to its
    opening words (the page's counter stops such a message; a client without it still gets this)."""
    refusal = clean(message.content, settings.max_message_chars).error_ko
    message.content = f"{message.content[:ECHO_CHARS]}… (보내지 않은 {len(message.content):,}자 메시지)"
    await message.update()
    await cl.ErrorMessage(content=refusal or "").send()


async def import_file(element: Any) -> None:
    """An attached CSV/JSON/text formula becomes the next version of this chat, read back and kept."""
    if wait := await limiter.check(_turn_client()):
        await cl.ErrorMessage(content=too_many_requests(wait).message_ko).send()
        return
    try:
        service = await runtime.wait()
        content, fmt = await asyncio.to_thread(formula_file, Path(element.path).read_bytes(), element.name or "")
        result, _, turn_id = await service.import_recipe(content, fmt, cl.context.session.thread_id, source="chat",
                                                         principal=_principal(), name=Path(element.name or "").stem)
    except (ServiceUnavailableError, FormulaError) as exc:
        await cl.ErrorMessage(content=exc.message_ko).send()
        return
    except NotFoundError:
        await cl.ErrorMessage(content="이 대화를 찾을 수 없어요. 새 대화에서 다시 올려 주세요.").send()
        return
    recipe = result.recipe
    cl.user_session.set("recipe_ref", (recipe.id, recipe.version))
    reply = cl.Message(content=import_reply_ko(result, service.deps.kb.catalog),
                       elements=_recipe_elements(recipe, service), actions=_recipe_actions(recipe))
    await reply.send()
    data_layer.link(reply.id, turn_id)


def _turn_client() -> str:
    """The rate-limit bucket of this chat: its API key when it logged in with one, else its address.

    Read from the login token (the data layer's user carries no metadata), once per chat.
    """
    if (client := cl.user_session.get("rate_client")) is None:
        session = cl.context.session
        key = decode_jwt(session.token).metadata.get("key") if session.token else None
        peer = (session.environ.get("asgi.scope") or {}).get("client")
        client = client_id(key, peer[0] if peer else None)
        cl.user_session.set("rate_client", client)
    return client


async def run_turn(text: str) -> None:
    if wait := await limiter.check(_turn_client()):
        await cl.ErrorMessage(content=too_many_requests(wait).message_ko).send()
        return
    prefs = cl.user_session.get("prefs") or {}
    try:
        if runtime.service() is None and runtime.error is None:
            await cl.Message(content=LOADING_KO).send()
        service = await runtime.wait()
    except ServiceUnavailableError as exc:
        await cl.ErrorMessage(content=exc.message_ko).send()
        return
    concentration = prefs.get("concentration")
    product = prefs.get("product")
    reply = cl.Message(content="")
    result = None
    progress = TurnSteps(service.deps.kb, developer=bool(prefs.get("developer")))
    shown: dict[Stage, cl.Step] = {}
    # The chat settings are this turn's choices (agent.state.TurnContext); one service serves them all.
    async for event in service.stream(text, cl.context.session.thread_id, prefs.get("level"),
                                      None if concentration in (None, AUTO) else concentration, source="chat",
                                      product=None if product in (None, AUTO) else product,
                                      backend=prefs.get("backend"), proposals=prefs.get("creativity"),
                                      principal=_principal()):
        if event["type"] == "step":
            if line := progress.add(event["node"], event["update"]):
                await _show_step(shown, line)
        elif event["type"] == "token":
            if Stage.explain not in shown:  # the narration starts: its line goes above the text it explains
                await _show_step(shown, progress.writing(), running=True)
            await reply.stream_token(event["text"])
        elif event["type"] == "result":
            result = event["result"]
    assert result is not None  # the service always ends with a result
    reply.content = result.reply
    reply.metadata = {"turn_id": result.turn_id, "session": result.session}
    elements: list[Any] = []
    if result.recipe:
        recipe = Recipe.model_validate(result.recipe)
        if view.is_new_version(recipe, cl.user_session.get("recipe_ref")):
            cl.user_session.set("recipe_ref", (recipe.id, recipe.version))
            elements = _recipe_elements(recipe, service)
            reply.actions = _recipe_actions(recipe, result.brief)
    reply.actions = [*(reply.actions or []), *(cl.Action(name="edit", label=label, payload={"text": text}, tooltip=text)
                                               for label, text in view.offer_actions(result.extras))]
    if "diff" in result.extras and (chart := charts.diff_figure(RecipeDiff.model_validate(result.extras["diff"]),
                                                                service.deps.kb.catalog)):
        _keep_files_folder()
        elements.append(cl.Plotly(name="버전 비교", figure=chart, display="inline", size="large"))
    reply.elements = elements
    await reply.send()
    if result.turn_id is not None:
        data_layer.link(reply.id, result.turn_id)


async def _show_step(shown: dict[Stage, cl.Step], line: StepLine, running: bool = False) -> None:
    """One Chainlit step per stage, updated while the stage lasts (critique and revise take turns under one
    검토 line). A step is sent finished — its line is the news — unless ``running``. It belongs to the
    turn's run, as the reply does, so the lines stand above the reply in the order they came."""
    step = shown.get(line.stage)
    if step is None:
        current = cl.context.current_step
        step = shown[line.stage] = cl.Step(name=line.title, type=STEP_TYPE[line.stage], show_input=False,
                                           parent_id=current.id if current else None)
        step.output = line.detail
        step.start = utc_now()
        step.end = None if running else step.start
        await step.send()
        return
    step.name, step.output, step.end = line.title, line.detail, utc_now()
    await step.update()


def _recipe_elements(recipe: Recipe, service: ChatService) -> list[Any]:
    """The charts and what a perfumer takes away, for a new version: CSV/JSON (round-trip through import),
    a 100 g batch sheet weighing what is poured, and the IFRA summary with the allergen declaration."""
    catalog = service.deps.kb.catalog
    _keep_files_folder()
    return [
        cl.Plotly(name="향 피라미드", figure=charts.pyramid_figure(recipe), display="inline", size="large"),
        cl.Plotly(name="향 계열 구성", figure=charts.composition_figure(recipe, catalog), display="inline", size="large"),
        cl.File(name=view.export_name(recipe, "csv"), content=view.recipe_csv(recipe), mime="text/csv",
                display="inline"),
        cl.File(name=view.export_name(recipe, "json"), content=view.recipe_json(recipe), mime="application/json",
                display="inline"),
        cl.File(name=view.export_name(recipe, "html", "배합표-100g"), mime="text/html", display="inline",
                content=batch_sheet_html(recipe, 100.0, catalog).encode("utf-8")),
        cl.File(name=view.export_name(recipe, "md", "IFRA-알레르기"), mime="text/markdown", display="inline",
                content=view.documents_md(recipe, catalog)),
    ]


def _keep_files_folder() -> None:
    """Chainlit stores every element under <app root>/.files and deletes that folder when a server stops, so
    another `hyanggi chat` on the same checkout (a second worker, a test's server) takes it away from this
    one, whose elements then vanish without an error: make it again before attaching any."""
    FILES_DIRECTORY.mkdir(exist_ok=True)


def _recipe_actions(recipe: Recipe, brief: dict[str, Any] | None = None) -> list[cl.Action]:
    ref = {"recipe_id": recipe.id, "version": recipe.version}
    actions = [cl.Action(name="edit", label=label, payload={**ref, "text": text}, tooltip=text)
               for label, text in view.edit_actions(brief)]
    actions.append(cl.Action(name="save", label="저장", payload=ref, icon="bookmark"))
    compare = view.compare_message(recipe)
    if compare:
        actions.append(cl.Action(name="edit", label="버전 비교", payload={**ref, "text": compare}, tooltip=compare))
    return actions


@cl.action_callback("edit")
async def _edit_action(action: cl.Action) -> None:
    """Send the button's Korean request through the agent, shown as the user's own message."""
    text = action.payload["text"]
    await cl.Message(content=text, type="user_message", author="사용자").send()
    await run_turn(text)


@cl.action_callback("save")
async def _save_action(action: cl.Action) -> None:
    service = runtime.service()
    if service is None:
        await cl.ErrorMessage(content=LOADING_KO).send()
        return
    try:
        await service.store.mark_saved(_principal(), action.payload["recipe_id"])
    except NotFoundError:
        await cl.ErrorMessage(content="저장할 레시피를 찾지 못했어요. 새로 설계한 뒤 다시 눌러 주세요.").send()
        return
    await cl.Message(content=f"레시피 {action.payload['recipe_id']} v{action.payload['version']}을(를) 저장했어요. "
                             "REST API `/api/v1/recipes` 에서도 볼 수 있어요.").send()
