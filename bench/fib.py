"""Recursive Fibonacci: function calls, comparisons and additions."""


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def main():
    total = 0
    for i in range(24, 33):
        f = fib(i)
        print(f"fib({i}) = {f}")
        total += f
    print(f"total {total}")


if __name__ == "__main__":
    main()
