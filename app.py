"""The web chat: ``python app.py [--host H] [--port P] [--allow-anonymous]`` updates the index, then serves the chat
in a browser. On an address other machines can reach it refuses to start without sign-in unless allowed on purpose."""

from __future__ import annotations

import argparse
import logging
import os

# Offline: no usage statistics, no version check, no hub calls (read by Gradio when it is imported).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant import Assistant
from assistant.errors import AssistantError
from assistant.web import WebChat, build_demo, serve
from assistant.web.access import load_accounts, refusal

logger = logging.getLogger("app")

chat = WebChat(Assistant())
demo = build_demo(chat)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the article assistant's web chat.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on (default: 7860)")
    parser.add_argument(
        "--allow-anonymous",
        action="store_true",
        help="serve without sign-in on an address other machines can reach (or ASSISTANT_ALLOW_ANONYMOUS=true); "
        "refused otherwise",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per HTTP request otherwise
    settings = chat.assistant.settings
    try:  # before the index is updated: a bad sign-in file, or none where one is needed, stops the app at once
        accounts = load_accounts(settings)
    except AssistantError as err:
        raise SystemExit(f"app.py: error: {err}") from err
    refused = refusal(args.host, settings, signin=accounts is not None, allow_anonymous=args.allow_anonymous)
    if refused is not None:
        raise SystemExit(f"app.py: error: {refused}")
    report = chat.prepare()
    if report is not None:
        logger.info("index up to date: %s", report.summary())
    serve(demo, chat, args.host, args.port, accounts=accounts)


if __name__ == "__main__":
    main()
