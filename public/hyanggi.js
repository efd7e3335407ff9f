// 향기 chat: a character counter near the message length limit, and no sending past it.
// The limit is the server's (agent/guard.py, settings.max_message_chars), handed over in this script tag's
// data-max-chars by ui/chainlit_app.py. The server refuses a longer message anyway and cuts its echo;
// this stops it before it leaves the page.
(() => {
  const script = document.currentScript;
  const limit = Number(script && script.dataset.maxChars) || 2000;
  const warnFrom = Math.floor(limit * 0.8);
  const number = (n) => n.toLocaleString("ko-KR");
  // Code points, as the server's len() counts them (an emoji is one character, not two).
  const length = (text) => Array.from(text).length;

  const input = () => document.getElementById("chat-input");
  const tooLong = () => {
    const box = input();
    return box !== null && length(box.value) > limit;
  };

  function counter() {
    const composer = document.getElementById("message-composer");
    if (composer === null) return null;
    let element = document.getElementById("hyanggi-counter");
    if (element === null || !composer.contains(element)) {
      element = document.createElement("div");
      element.id = "hyanggi-counter";
      element.setAttribute("aria-live", "polite");
      composer.appendChild(element);
    }
    return element;
  }

  function refresh() {
    const box = input();
    const element = counter();
    if (box === null || element === null) return;
    const count = length(box.value);
    const over = count > limit;
    element.hidden = count < warnFrom;
    element.classList.toggle("over", over);
    element.textContent = over
      ? `${number(count)} / ${number(limit)}자 — ${number(count - limit)}자를 줄여야 보낼 수 있어요`
      : `${number(count)} / ${number(limit)}자`;
    const submit = document.getElementById("chat-submit");
    if (submit !== null) submit.setAttribute("aria-disabled", String(over));
  }

  // Capture phase on window: runs before the chat's own handlers, so a message over the limit never leaves.
  window.addEventListener("keydown", (event) => {
    const fromInput = event.target instanceof Element && event.target.id === "chat-input";
    if (fromInput && event.key === "Enter" && !event.shiftKey && !event.isComposing && tooLong()) {
      event.preventDefault();
      event.stopImmediatePropagation();
      refresh();
    }
  }, true);
  window.addEventListener("click", (event) => {
    const submit = event.target instanceof Element ? event.target.closest("#chat-submit") : null;
    if (submit !== null && tooLong()) {
      event.preventDefault();
      event.stopImmediatePropagation();
      refresh();
    }
  }, true);
  document.addEventListener("input", refresh, true);
  // The chat clears or fills the box itself (after sending, from a starter) without an input event.
  setInterval(refresh, 500);
})();
