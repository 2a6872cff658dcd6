"""Matrix multiplication on nested arrays: indexed reads in a triple loop."""


def make_matrix(n, seed):
    m = []
    for _ in range(n):
        row = []
        for _ in range(n):
            seed = (seed * 16807) % 2147483647
            row.append(seed % 10)
        m.append(row)
    return m


def multiply(a, b):
    n = len(a)
    c = []
    for i in range(n):
        ai = a[i]
        row = []
        for j in range(n):
            s = 0
            for k in range(n):
                s = s + ai[k] * b[k][j]
            row.append(s % 1000)
        c.append(row)
    return c


def trace(m):
    t = 0
    for i in range(len(m)):
        t = t + m[i][i]
    return t


def main():
    n = 180
    a = make_matrix(n, 1)
    b = make_matrix(n, 2)
    c = multiply(a, b)
    d = multiply(c, a)
    e = multiply(d, b)
    print(f"traces {trace(c)} {trace(d)} {trace(e)}")
    print(f"corner {e[0][0]} {e[n - 1][n - 1]}")


if __name__ == "__main__":
    main()
