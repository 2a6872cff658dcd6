"""String building and string methods: concatenation, split, join, case, replace, find, slicing, indexing."""


def build_line(words, round_):
    s = ""
    for i in range(120):
        s = s + words[(i * 7 + round_) % len(words)] + ","
    return s


def count_vowels(s):
    n = 0
    for i in range(len(s)):
        c = s[i]
        if c == "a" or c == "e" or c == "i" or c == "o" or c == "u":
            n += 1
    return n


def main():
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"]
    total = 0
    vowels = 0
    numbers = ""
    for round_ in range(24000):
        s = build_line(words, round_)
        parts = s.split(",")
        total += len(parts)
        up = s.upper()
        total += up.find("THETA") + len(up.lower())
        replaced = s.replace("a", "4")
        total += replaced.find("4lph4")
        if "zeta,eta" in s:
            total += 1
        piece = ("  " + s[round_ % 50:round_ % 50 + 30] + "  ").strip()
        total += len(piece)
        joined = "-".join(parts)
        total += len(joined)
        if round_ % 4 == 0:
            vowels += count_vowels(s)
        numbers = numbers + str(round_ % 97) + ";"
    fields = numbers.split(";")
    print(f"total {total}")
    print(f"vowels {vowels}")
    print(f"numbers {len(numbers)} {len(fields)} {fields[len(fields) - 2]}")


if __name__ == "__main__":
    main()
