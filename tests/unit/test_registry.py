from __future__ import annotations

import threading

from ipyanimagic import registry


def test_register_returns_a_fresh_key_that_finds_the_object():
    obj = object()
    key = registry.register(obj)
    try:
        assert registry.get(key) is obj
        assert key in registry.keys()
    finally:
        registry.unregister(key)


def test_keys_carry_at_least_96_random_bits():
    assert registry.KEY_BYTES * 8 >= 96
    keys = [registry.register(object()) for _ in range(2000)]
    try:
        assert len(set(keys)) == len(keys)
        # token_urlsafe: 6 bits a character
        assert all(len(k) * 6 >= 96 for k in keys)
        assert all(k.replace("-", "").replace("_", "").isalnum() for k in keys)
    finally:
        for k in keys:
            registry.unregister(k)


def test_unregister_forgets_the_key_and_is_harmless_twice():
    key = registry.register(object())
    assert registry.unregister(key) is True
    assert registry.unregister(key) is False
    assert key not in registry.keys()


def test_get_of_an_unknown_key_raises_key_error():
    try:
        registry.get("no-such-key")
    except KeyError:
        pass
    else:
        raise AssertionError("expected KeyError")


def test_registration_is_safe_from_many_threads():
    before = len(registry.keys())
    made: list[str] = []
    lock = threading.Lock()

    def work():
        for _ in range(200):
            k = registry.register(object())
            with lock:
                made.append(k)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(made)) == 1600
    for k in made:
        registry.unregister(k)
    assert len(registry.keys()) == before
