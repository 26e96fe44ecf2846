"""Loading what answering needs before the first question: the language model in a thread of its own while
the index, the embedding model and the language detectors load in the caller's."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from assistant.answering.generator import Generator

logger = logging.getLogger(__name__)


def load_for_answering(build_generator: Callable[[], Generator], open_index: Callable[[], object]) -> None:
    """Load the language model ``build_generator`` gives while ``open_index`` runs and the language detectors
    load; the first failure is raised once both are done."""
    # The language model loads (mostly outside Python: the file is mapped, llama.cpp sets up) while the index,
    # the embedding model and the detectors load here: on 2 cores the two overlap.
    failure: list[BaseException] = []
    # What both threads import is imported first, here: numpy (Chroma's and llama.cpp's), and the answer
    # stage with LangChain. Two threads importing numpy at once can find it half initialised (ImportError:
    # "partially initialized module"), as `assistant ask` once did.
    import numpy  # noqa: F401, PLC0415

    generator = build_generator()

    def load_generator() -> None:
        try:
            generator.load()
        except BaseException as err:  # handed to the caller below
            failure.append(err)

    loading = threading.Thread(target=load_generator, name="load-language-model", daemon=True)
    loading.start()
    try:
        open_index()
        from assistant.answering.language import preload as preload_language_models  # noqa: PLC0415

        preload_language_models()
    finally:
        loading.join()
    if failure:
        raise failure[0]
