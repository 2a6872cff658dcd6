"""Exceptions: values thrown from nested calls and caught in a loop, with finally blocks and rethrows."""


class Thrown(Exception):
    """A thrown value, as Neutron's `throw v;`."""

    def __init__(self, value):
        super().__init__(value)
        self.value = value


def validate(i):
    if i % 3 == 0:
        raise Thrown(f"bad value {i}")
    if i % 7 == 0:
        raise Thrown({"code": i % 5, "value": i})
    return i


def compute(i):
    return validate(i) * 2


def outer(i):
    try:
        return compute(i)
    except Thrown:
        if i % 2 == 0:
            raise
        return 0 - 1


def main():
    total = 0
    caught_strings = 0
    caught_objects = 0
    codes = 0
    message_chars = 0
    finals = 0
    negatives = 0
    for i in range(1200000):
        try:
            v = outer(i)
            if v < 0:
                negatives += 1
            else:
                total += v
        except Thrown as e:
            if i % 7 == 0 and i % 3 != 0:
                caught_objects += 1
                codes += e.value["code"]
            else:
                caught_strings += 1
                message_chars += len(e.value)
        finally:
            finals += 1
    print(f"total {total}")
    print(f"caught strings {caught_strings}, objects {caught_objects}")
    print(f"codes {codes}, message chars {message_chars}")
    print(f"negatives {negatives}, finally {finals}")


if __name__ == "__main__":
    main()
