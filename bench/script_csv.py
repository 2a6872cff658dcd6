"""Building a CSV text row by row, then parsing it back: split, number conversion, sums per column."""


def num(x):
    return "%.15g" % x


def main():
    names = ["ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal"]
    rows = []
    seed = 11
    for i in range(60000):
        seed = (seed * 48271) % 2147483647
        name = names[seed % 8]
        qty = seed % 100
        price = (seed % 1000) / 4
        rows.append(name + "," + str(qty) + "," + num(price) + "," + ("yes" if i % 2 == 0 else "no"))
    text = "name,qty,price,paid\n" + "\n".join(rows)
    lines = text.split("\n")
    total_qty = 0
    total_value = 0.0
    paid = 0
    by_name = {}
    for i in range(1, len(lines)):
        cols = lines[i].split(",")
        q = int(cols[1])
        p = float(cols[2])
        total_qty = total_qty + q
        total_value = total_value + q * p
        if cols[3] == "yes":
            paid = paid + 1
        k = cols[0]
        if k not in by_name:
            by_name[k] = 0
        by_name[k] = by_name[k] + q
    print(len(lines) - 1)
    print(total_qty)
    print(num(total_value))
    print(paid)
    for k in by_name:
        print(k + " " + str(by_name[k]))


main()
