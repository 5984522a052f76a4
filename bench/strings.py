# 300,000 string interpolations, then join / split / filter.
def main():
    parts = [f"item-{i}:{i * 3}" for i in range(300_000)]
    text = ",".join(parts)
    back = text.split(",")
    tens = [s for s in back if s.endswith("0")]
    print(len(text), len(tens))


main()
