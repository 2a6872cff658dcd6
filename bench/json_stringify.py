"""json.dumps alone, compact and indented: records (short and long fractions, whole numbers), a tree of dicts of a
few keys, a list of numbers, strings with escapes. Whole numbers are ints, as Python programs hold them."""
import json


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def pretty(value):
    return json.dumps(value, indent=2, ensure_ascii=False)


def make(d, k):
    if d == 0:
        v = k * 1.25
        return {"leaf": k, "v": int(v) if v == int(v) else v, "on": k % 2 == 0, "name": "n" + str(k), "none": None}
    o = {"depth": d, "label": "level " + str(d), "kids": []}
    for i in range(5):
        o["kids"].append(make(d - 1, k * 5 + i))
    o["meta"] = {"a": d, "b": [d, d + 0.5, "x"]}
    return o


def main():
    records = []
    for i in range(2000):
        score = (i * 37) % 1000 / 10
        records.append({"id": i, "name": "user" + str(i), "email": "u" + str(i) + "@example.com",
                        "score": int(score) if score == int(score) else score, "ratio": i / 7, "active": i % 3 == 0,
                        "parent": None, "tags": ["t" + str(i % 5), "g" + str(i % 7)],
                        "address": {"street": "Main \"" + str(i % 40) + "\"", "zip": 10000 + i}})
    tree = make(5, 1)
    numbers = [i * 3 if i % 2 == 0 else i * 0.25 + 0.1 for i in range(20000)]
    strings = ["line " + str(i) + "\t\"quoted\" back\\slash\n é ☃ end" for i in range(5000)]
    # the texts of the records and the numbers differ from Neutron's (numbers are written as say writes them
    # there): only the tree's and the strings' lengths are summed
    total = 0
    calls = 0
    for round_ in range(20):
        compact(records)
        compact(numbers)
        total += len(compact(tree)) + len(compact(strings))
        calls += 4
        if round_ % 4 == 0:
            pretty(records)
            pretty(numbers)
            total += len(pretty(tree)) + len(pretty(strings))
            calls += 4
    print(calls)
    print(total)
    print(compact(records)[0:60])

main()
