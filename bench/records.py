# 300,000 record constructions, then filter / map / sum.
from dataclasses import dataclass


@dataclass
class Point:
    x: int
    y: int


def main():
    points = [Point(x=i, y=i * 2) for i in range(300_000)]
    far = [p for p in points if p.x + p.y > 1000]
    print(sum([p.x for p in far]))


main()
