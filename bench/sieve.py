# The sieve of Eratosthenes up to 3,000,000.
def primes_below(n: int) -> int:
    flags = [True for _ in range(n)]
    flags[0] = False
    flags[1] = False
    i = 2
    while i * i < n:
        if flags[i]:
            for j in range(i * i, n, i):
                flags[j] = False
        i += 1
    return len([f for f in flags if f])


print(primes_below(3_000_000))
