"""Nested numeric loops: integer-valued arithmetic, modulo and bitwise operators on locals."""


def main():
    n = 3000
    total = 0
    xor_sum = 0
    for i in range(n):
        row = 0
        for j in range(n):
            row = row + (i * j) % 7 + (i ^ j) % 5
        total = (total * 31 + row) % 1000000007
        xor_sum ^= row
    k = 0
    steps = 0
    while k < 300001:
        if k % 3 == 0:
            steps += 2
        else:
            steps -= 1
        k += 1
    print(total)
    print(xor_sum)
    print(steps)


if __name__ == "__main__":
    main()
