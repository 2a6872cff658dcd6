"""collections module: natives called directly."""

from neutron.stdlib.collections import module

from natives_harness import callers

call, err = callers(module)


def test_sets():
    s = call("set_new")
    assert s == []
    assert call("set_add", s, 1.0) is True
    assert call("set_add", s, "1") is True
    assert call("set_add", s, 1.0) is False
    assert call("set_add", s, [1.0, 2.0]) is True
    assert call("set_add", s, [1.0, 2.0]) is False      # arrays compare by contents
    assert s == [1.0, "1", [1.0, 2.0]]
    assert call("set_has", s, "1") is True and call("set_has", s, 2.0) is False
    assert call("set_size", s) == 3.0
    arr = call("set_to_array", s)
    assert arr == s and arr is not s
    assert call("set_remove", s, "1") is True and call("set_remove", s, "1") is False
    assert s == [1.0, [1.0, 2.0]]
    a, b = [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]
    assert call("set_union", a, b) == [1.0, 2.0, 3.0, 4.0]
    assert call("set_intersection", a, b) == [2.0, 3.0]
    assert call("set_difference", a, b) == [1.0]
    assert a == [1.0, 2.0, 3.0]
    assert err("set_add", {}, 1.0) == "collections.set_add: argument 1 must be an array, got object."


def test_stacks():
    s = call("stack_new")
    assert call("stack_is_empty", s) is True
    assert err("stack_peek", s) == "stack.peek: stack is empty."
    assert call("stack_push", s, 1.0) is None
    call("stack_push", s, 2.0)
    assert call("stack_size", s) == 2.0 and call("stack_is_empty", s) is False
    assert call("stack_peek", s) == 2.0
    assert call("stack_pop", s) == 2.0 and call("stack_pop", s) == 1.0
    assert err("stack_pop", s) == "stack.pop: stack is empty."


def test_queues():
    q = call("queue_new")
    assert call("queue_is_empty", q) is True and err("queue_peek", q) == "queue.peek: queue is empty."
    assert call("queue_enqueue", q, "a") is None
    call("queue_enqueue", q, "b")
    assert call("queue_size", q) == 2.0 and call("queue_peek", q) == "a"
    assert call("queue_dequeue", q) == "a" and call("queue_dequeue", q) == "b"
    assert call("queue_is_empty", q) is True
    assert err("queue_dequeue", q) == "queue.dequeue: queue is empty."
    assert err("queue_size", None) == "collections.queue_size: argument 1 must be an array, got nil."
