"""Sieve of Eratosthenes: array reads and writes in counted loops."""


def sieve(n):
    flags = []
    for _ in range(n + 1):
        flags.append(True)
    flags[0] = False
    flags[1] = False
    i = 2
    while i * i <= n:
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = False
        i += 1
    primes = []
    for i in range(n + 1):
        if flags[i]:
            primes.append(i)
    return primes


def main():
    count = 0
    total = 0
    primes = []
    for round_ in range(20):
        primes = sieve(300000 + round_ * 10000)
        count += len(primes)
        total = (total + primes[len(primes) - 1]) % 1000000007
    print(f"count {count}")
    print(f"sum {total}")
    print(f"last {primes[len(primes) - 1]}")
    twins = 0
    for i in range(1, len(primes)):
        if primes[i] - primes[i - 1] == 2:
            twins += 1
    print(f"twins {twins}")


if __name__ == "__main__":
    main()
