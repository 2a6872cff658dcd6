"""Closures and higher-order functions: captured counters, function composition, map and filter with lambdas."""


def make_counter(start, step):
    value = start

    def counter():
        nonlocal value
        value = value + step
        return value
    return counter


def make_adder(n):
    return lambda x: x + n


def compose(f, g):
    return lambda x: f(g(x))


def fold(arr, f, init):
    acc = init
    for x in arr:
        acc = f(acc, x)
    return acc


def main():
    numbers = list(range(2000))
    total = 0
    for round_ in range(1500):
        add = make_adder(round_)
        twice = lambda x: x * 2  # noqa: E731
        f = compose(add, twice)
        mapped = list(map(f, numbers))
        odd = list(filter(lambda x: x % 3 == 1, mapped))
        s = fold(odd, lambda a, b: (a + b) % 1000003, 0)
        total = (total + s + len(odd)) % 1000000007
    print(f"total {total}")

    counters = [make_counter(i, i % 7 + 1) for i in range(100)]
    last = 0
    for _ in range(30000):
        for counter in counters:
            last = counter()
    print(f"last counter {last}")
    print(f"first counter {counters[0]()}")

    pipeline = make_adder(0)
    for i in range(1, 51):
        pipeline = compose(make_adder(i), pipeline)
    p = 0
    for i in range(50000):
        p = (p + pipeline(i)) % 1000003
    print(f"pipeline {p}")


if __name__ == "__main__":
    main()
