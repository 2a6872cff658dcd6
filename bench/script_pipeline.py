"""Small lambdas passed to built-ins: comprehensions for map/filter, sorted with cmp_to_key, functools.reduce."""
import functools


def num(x):
    return "%.15g" % x


def main():
    items = []
    seed = 9
    for i in range(40000):
        seed = (seed * 16807) % 2147483647
        items.append({"id": i, "price": seed % 500, "qty": 1 + seed % 9})
    rate = 3
    total = 0
    top = None
    for _ in range(4):
        costs = list(map(lambda it: it["price"] * it["qty"], items))
        big = list(filter(lambda c: c > 1000, costs))
        taxed = list(map(lambda c: c + c * rate / 100, big))
        total = total + functools.reduce(lambda acc, x: acc + x, taxed, 0)
        selected = list(filter(lambda it: it["qty"] > 4, items))
        selected = sorted(selected, key=functools.cmp_to_key(lambda a, b: b["price"] - a["price"]))
        top = selected[0]
    print(num(total))
    print(str(top["id"]) + " " + str(top["price"]))


main()
