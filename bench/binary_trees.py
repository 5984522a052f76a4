# Binary trees: allocate and walk many small trees (depth 4 to 16).
def make(depth):
    return (None, None) if depth == 0 else (make(depth - 1), make(depth - 1))


def check(tree):
    left, right = tree
    return 1 if left is None else 1 + check(left) + check(right)


def main():
    max_depth = 16
    print(f"stretch tree of depth {max_depth + 1}\t check: {check(make(max_depth + 1))}")
    long_lived = make(max_depth)
    for depth in range(4, max_depth + 1, 2):
        iterations = 2 ** (max_depth - depth + 4)
        total = 0
        for i in range(iterations):
            total += check(make(depth))
        print(f"{iterations}\t trees of depth {depth}\t check: {total}")
    print(f"long lived tree of depth {max_depth}\t check: {check(long_lived)}")


main()
