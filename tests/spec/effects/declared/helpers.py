"""A Python tool for the golden programs of this folder."""


def today(city):
    return f"sunny in {city}"
