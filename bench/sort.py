"""Sorting: hand-written quicksort and merge sort on pseudo-random numbers, checked against the built-in sort."""


def random_numbers(n, seed):
    out = []
    for _ in range(n):
        seed = (seed * 16807) % 2147483647
        out.append(seed % 1000000)
    return out


def quicksort(a, lo, hi):
    while lo < hi:
        pivot = a[lo + (hi - lo) // 2]
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        # Recurse into the smaller part, loop on the larger one.
        if j - lo < hi - i:
            quicksort(a, lo, j)
            lo = i
        else:
            quicksort(a, i, hi)
            hi = j


def merge_sort(a, tmp, lo, hi):
    if hi - lo < 2:
        return
    mid = lo + (hi - lo) // 2
    merge_sort(a, tmp, lo, mid)
    merge_sort(a, tmp, mid, hi)
    i = lo
    j = mid
    k = lo
    while i < mid and j < hi:
        if a[j] < a[i]:
            tmp[k] = a[j]
            j += 1
        else:
            tmp[k] = a[i]
            i += 1
        k += 1
    while i < mid:
        tmp[k] = a[i]
        i += 1
        k += 1
    while j < hi:
        tmp[k] = a[j]
        j += 1
        k += 1
    for m in range(lo, hi):
        a[m] = tmp[m]


def checksum(a):
    total = 0
    for i in range(len(a)):
        total = (total + a[i] * (i % 1000 + 1)) % 1000000007
    return total


def same(a, b):
    if len(a) != len(b):
        return False
    for i in range(len(a)):
        if a[i] != b[i]:
            return False
    return True


def main():
    n = 160000
    data = random_numbers(n, 42)
    q = data[0:n]
    quicksort(q, 0, n - 1)
    m = data[0:n]
    tmp = [0] * n
    merge_sort(m, tmp, 0, n)
    b = data[0:n]
    b.sort()
    print(f"quicksort {checksum(q)}")
    print(f"merge sort {checksum(m)}")
    print(f"built-in {checksum(b)}")
    print(f"agree {'true' if same(q, b) and same(m, b) else 'false'}")
    print(f"min {q[0]} median {q[n // 2]} max {q[n - 1]}")
    print(f"unsorted {checksum(data)}")


if __name__ == "__main__":
    main()
