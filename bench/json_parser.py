# A small JSON parser written in Python, parsing ~1.4 MB of generated JSON.
from dataclasses import dataclass


@dataclass
class Parser:
    text: str
    pos: int = 0


def peek(p):
    return p.text[p.pos] if p.pos < len(p.text) else ""


def skip_spaces(p):
    text = p.text
    i = p.pos
    while i < len(text) and text[i] in " \n\t\r":
        i += 1
    p.pos = i


def parse_value(p):
    skip_spaces(p)
    c = peek(p)
    if c == "{":
        return parse_object(p)
    if c == "[":
        return parse_array(p)
    if c == '"':
        return parse_string(p)
    if c == "t":
        p.pos += 4
        return True
    if c == "f":
        p.pos += 5
        return False
    if c == "n":
        p.pos += 4
        return None
    return parse_number(p)


def parse_object(p):
    result = {}
    p.pos += 1
    skip_spaces(p)
    if peek(p) == "}":
        p.pos += 1
        return result
    while True:
        skip_spaces(p)
        key = parse_string(p)
        skip_spaces(p)
        p.pos += 1
        result[key] = parse_value(p)
        skip_spaces(p)
        c = peek(p)
        p.pos += 1
        if c == "}":
            break
    return result


def parse_array(p):
    result = []
    p.pos += 1
    skip_spaces(p)
    if peek(p) == "]":
        p.pos += 1
        return result
    while True:
        result.append(parse_value(p))
        skip_spaces(p)
        c = peek(p)
        p.pos += 1
        if c == "]":
            break
    return result


def parse_string(p):
    text = p.text
    start = p.pos + 1
    i = start
    while text[i] != '"':
        i += 1
    p.pos = i + 1
    return text[start:i]


def parse_number(p):
    text = p.text
    start = p.pos
    i = start
    while i < len(text) and text[i] in "-+.eE0123456789":
        i += 1
    p.pos = i
    raw = text[start:i]
    return float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)


def document(n):
    items = [f'{{"id": {i}, "name": "item {i}", "price": {i * 3}.25, "tags": ["a", "b"], '
             f'"ok": true, "none": null}}' for i in range(n)]
    return "[" + ", ".join(items) + "]"


def main():
    text = document(15000)
    items = parse_value(Parser(text))
    total = sum([item["price"] for item in items])
    print(len(text), len(items), total)


main()
