"""Mandelbrot set: float arithmetic in tight loops, one row checksum per line block."""


def iterations(cr, ci, limit):
    zr = 0
    zi = 0
    n = 0
    while n < limit:
        zr2 = zr * zr
        zi2 = zi * zi
        if zr2 + zi2 > 4:
            return n
        zi = 2 * zr * zi + ci
        zr = zr2 - zi2 + cr
        n += 1
    return limit


def main():
    width = 400
    height = 300
    limit = 200
    inside = 0
    checksum = 0
    for y in range(height):
        ci = 2.4 * y / height - 1.2
        row = 0
        for x in range(width):
            cr = 3.2 * x / width - 2.2
            n = iterations(cr, ci, limit)
            if n == limit:
                inside += 1
            row = row + n * (x + 1)
        checksum = (checksum * 7 + row) % 1000000007
        if y % 50 == 0:
            print(f"row {y}: {row}")
    print(f"inside {inside}")
    print(f"checksum {checksum}")


if __name__ == "__main__":
    main()
