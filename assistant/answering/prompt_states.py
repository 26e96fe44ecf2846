"""The evaluated prompt of each kind of call, kept so that llama.cpp evaluates a kind's fixed part once.

llama.cpp keeps the state of the last prompt only, and reuses what the next prompt shares with it. The
assistant alternates kinds of prompts (answers, translations), each with its own fixed
instructions and examples; without this, a translation after a judgement would evaluate its ~170 fixed tokens
again (about 1.7 s on 2 cores). This keeps the last state of each kind (llama.cpp's KV cache of its one
sequence: some tens of KB per token, a few MB each; no logits) and puts it back before the next prompt of that
kind. llama.cpp's own prefix matching then reuses what is shared and evaluates the rest, so a restored state
can never make an answer wrong, only faster.
"""

from __future__ import annotations

import ctypes
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_SEQUENCE = 0  # llama-cpp-python's Llama evaluates everything in sequence 0


@dataclass(frozen=True)
class _State:
    tokens: np.ndarray  # the token ids whose keys and values ``data`` holds, in order
    data: bytes


class PromptStates:
    """The last evaluated prompt of up to ``capacity`` kinds, for one llama-cpp-python ``Llama``."""

    def __init__(self, llama: Any, capacity: int = 4) -> None:
        self.llama = llama
        self.capacity = capacity
        self._states: OrderedDict[str, _State] = OrderedDict()
        self._current: str | None = None

    def restore(self, kind: str) -> bool:
        """Put back the last state of ``kind`` unless the model holds it already; True when it did."""
        state = self._states.get(kind)
        if state is None or self._current == kind:
            self._current = kind
            return False
        import llama_cpp  # noqa: PLC0415  (only with the embedded model)

        llama = self.llama
        llama._ctx.kv_cache_seq_rm(-1, 0, -1)  # the Llama's own context
        buffer = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
        if llama_cpp.llama_state_seq_set_data(llama._ctx.ctx, buffer, len(state.data), _SEQUENCE) == 0:
            logger.warning("could not restore the %s prompt state; evaluating the prompt again", kind)
            llama._ctx.kv_cache_seq_rm(-1, 0, -1)
            llama.n_tokens = 0
            self._states.pop(kind)
            self._current = kind
            return False
        n = len(state.tokens)
        llama.input_ids[:n] = state.tokens
        llama.n_tokens = n
        llama._requires_eval = True  # the logits are not those of the restored prompt
        self._states.move_to_end(kind)
        self._current = kind
        return True

    def save(self, kind: str) -> None:
        """Remember the model's current state as the last of ``kind``."""
        import llama_cpp  # noqa: PLC0415

        llama = self.llama
        ctx = llama._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, _SEQUENCE)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, _SEQUENCE)
        if not written:
            return
        self._states[kind] = _State(np.array(llama.input_ids[: llama.n_tokens], copy=True), bytes(buffer)[:written])
        self._states.move_to_end(kind)
        while len(self._states) > self.capacity:
            self._states.popitem(last=False)
        self._current = kind
