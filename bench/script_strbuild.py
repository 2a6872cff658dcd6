"""A script building strings piece by piece: s = s + x and s += x in loops."""


def main():
    s = ""
    for i in range(600000):
        s = s + "x"
    line = ""
    for i in range(300000):
        line += str(i % 10)
        if i % 50 == 49:
            line += "\n"
    report = ""
    n = 0
    while n < 100000:
        report += "row " + str(n) + ": " + str(n * 3 % 17) + ";"
        n = n + 1
    print(len(s))
    print(len(line))
    print(len(report))
    print(report[0:40])


main()
