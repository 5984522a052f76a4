# Sorting 1,000,000 Ints (made by a linear congruential generator).
def main():
    xs = []
    seed = 42
    for i in range(1_000_000):
        seed = (seed * 1103515245 + 12345) % 2147483648
        xs.append(seed)
    ordered = sorted(xs)
    print(ordered[0], ordered[500_000], ordered[999_999])


main()
