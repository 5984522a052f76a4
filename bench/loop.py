# A 3,000,000-iteration `while` loop with arithmetic and `if`.
def main():
    i = 0
    total = 0
    while i < 3_000_000:
        if i % 3 == 0:
            total += i
        else:
            total -= 1
        i += 1
    print(total)


main()
