"""Counting words with a dict as a map: the missing-key test, the update, iteration over keys."""


def main():
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "xe", "zu", "po", "qi"]
    words = []
    seed = 3
    for i in range(200000):
        seed = (seed * 16807) % 2147483647
        words.append(syllables[seed % 12] + syllables[(seed >> 4) % 12])
    m = {}
    for _ in range(5):
        for k in words:
            if m.get(k) is None:
                m[k] = 0
            m[k] = m[k] + 1
    distinct = 0
    most = ""
    most_n = 0
    for k in m:
        distinct = distinct + 1
        if m[k] > most_n:
            most_n = m[k]
            most = k
    print(distinct)
    print(most + " " + str(most_n))


main()
