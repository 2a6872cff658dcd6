"""Word counting: an object used as a hash map from words to counts, keys visited in insertion order."""


def make_text(n, seed):
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "xe", "zu", "po", "qi"]
    words = []
    for _ in range(n):
        seed = (seed * 16807) % 2147483647
        parts = 1 + seed % 3
        w = ""
        r = seed
        for _ in range(parts):
            r = (r - r % 7) // 7
            w = w + syllables[r % 12]
        words.append(w)
    return " ".join(words)


def count_words(text):
    counts = {}
    for w in text.split(" "):
        c = counts.get(w)
        if c is None:
            counts[w] = 1
        else:
            counts[w] = c + 1
    return counts


def main():
    text = make_text(300000, 7)
    counts = None
    for _ in range(14):
        counts = count_words(text)
    distinct = 0
    total = 0
    best = ""
    best_count = 0
    checksum = 0
    for w, c in counts.items():
        distinct += 1
        total += c
        if c > best_count:
            best = w
            best_count = c
        checksum = (checksum * 31 + c * len(w)) % 1000000007
    print(f"chars {len(text)}")
    print(f"distinct {distinct}")
    print(f"total {total}")
    print(f"most frequent {best} {best_count}")
    print(f"checksum {checksum}")


if __name__ == "__main__":
    main()
