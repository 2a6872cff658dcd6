"""JSON round trips: stringify nested objects and arrays, parse them back, modify and repeat."""
import json


def stringify(value):
    """Compact JSON, as Neutron's json.stringify writes it."""
    return json.dumps(value, separators=(",", ":"))


def make_records(n):
    records = []
    for i in range(n):
        records.append({
            "id": i,
            "name": f"user{i}",
            "score": i % 100 + 0.5,
            "active": i % 3 == 0,
            "tags": [f"t{i % 5}", f"g{i % 7}"],
            "parent": None,
            "address": {"street": f"Main \"{i % 40}\"", "zip": 10000 + i},
        })
    return {"version": 1, "count": n, "records": records}


def main():
    doc = make_records(400)
    total_length = 0
    checksum = 0
    for _ in range(500):
        text = stringify(doc)
        total_length += len(text)
        back = json.loads(text)
        records = back["records"]
        active = 0
        for r in records:
            if r["active"]:
                active += 1
            r["score"] = r["score"] + 1
            checksum = (checksum + r["address"]["zip"] + len(r["tags"][1])) % 1000000007
        back["version"] = back["version"] + 1
        back["active"] = active
        doc = back
    final_text = stringify(doc)
    print(f"total length {total_length}")
    print(f"final length {len(final_text)}")
    print(f"version {doc['version']}, active {doc['active']}")
    print(f"checksum {checksum}")
    print(final_text[0:160])


if __name__ == "__main__":
    main()
