"""Round-tripping JSON records: build objects, dumps, loads back, read fields."""
import json


def num(x):
    return "%.15g" % x


def main():
    records = []
    for i in range(4000):
        score = (i * 37) % 1000 / 10
        records.append({"id": i, "name": "user" + str(i), "active": i % 3 != 0,
                        "score": int(score) if score == int(score) else score,
                        "tags": ["t" + str(i % 5), "g" + str(i % 7)],
                        "address": {"city": "c" + str(i % 40), "zip": 10000 + i}})
    total = 0
    active = 0
    size = 0
    for _ in range(12):
        text = json.dumps(records, separators=(",", ":"))
        size = len(text)
        back = json.loads(text)
        for r in back:
            if r["active"]:
                active = active + 1
            total = total + r["score"] + r["address"]["zip"] % 10
    print(size)
    print(active)
    print(num(total))


main()
