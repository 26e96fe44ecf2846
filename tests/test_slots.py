"""The model's answer slots: first come, first served, and each waiting question knows how many are before it."""

from __future__ import annotations

import threading
import time

import pytest

from assistant.web.slots import AnswerSlots


def test_a_free_slot_is_taken_at_once_and_given_back() -> None:
    slots = AnswerSlots(1)
    with slots.turn() as first:
        assert first.take(timeout=0) and first.served and first.ahead == 0
        with slots.turn() as second:
            assert second.ahead == 1, "the question being answered is before it"
            assert not second.take(timeout=0.05)
    with slots.turn() as third:
        assert third.take(timeout=0), "both the slot and the place in line were given back"


def test_slots_are_given_in_order_of_arrival() -> None:
    slots = AnswerSlots(1)
    order: list[int] = []
    holder = slots.turn()
    first = holder.__enter__()
    assert first.take(timeout=0)
    ready = threading.Barrier(4)

    def wait(number: int, delay: float) -> None:
        time.sleep(delay)  # arrive in this order
        with slots.turn() as waiting:
            ready.wait()
            assert waiting.take(timeout=5)
            order.append(number)

    threads = [threading.Thread(target=wait, args=(n, 0.05 * n)) for n in range(3)]
    for thread in threads:
        thread.start()
    ready.wait()
    holder.__exit__(None, None, None)
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2]


def test_places_count_the_answers_being_written_and_the_line() -> None:
    slots = AnswerSlots(2)
    with slots.turn() as a, slots.turn() as b, slots.turn() as c, slots.turn() as d:
        assert a.take(0) and b.take(0)
        assert (c.ahead, d.ahead) == (2, 3)
        assert not d.take(0), "not before the one ahead of it"
    with slots.turn() as e:
        assert e.ahead == 0 or e.take(0)


def test_leaving_the_line_lets_the_next_one_move_up() -> None:
    slots = AnswerSlots(1)
    with slots.turn() as a:
        assert a.take(0)
        with slots.turn() as b:
            with slots.turn() as c:
                assert (b.ahead, c.ahead) == (1, 2)
            assert b.ahead == 1
        with slots.turn() as d:
            assert d.ahead == 1


def test_at_least_one_slot() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AnswerSlots(0)
