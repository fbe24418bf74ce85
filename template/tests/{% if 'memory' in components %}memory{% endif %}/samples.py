"""What the memory tests share, with no agent framework: a small corpus and queries full of search syntax."""

from __future__ import annotations

# PIZZA matches "pizza pasta" better than DOUGH; BICYCLE shares no word with either.
PIZZA = "The user loves pizza and pasta."
DOUGH = "Pizza dough needs flour, water and yeast."
BICYCLE = "Rides a bicycle to work on Mondays."

# (hostile query, the same query as plain words): each pair must find the same memories.
HOSTILE_QUERIES = [
    ('"pizza', "pizza"),
    ('pizza"', "pizza"),
    ('"pizza" "', "pizza"),
    ("pizza AND", "pizza and"),
    ("AND pizza OR", "and pizza or"),
    ("NOT pizza", "not pizza"),
    ("pizza NOT pasta", "pizza not pasta"),
    ("pizza -pasta", "pizza pasta"),
    ("(pizza", "pizza"),
    ("pizza)) OR ((bicycle", "pizza or bicycle"),
    ("pizz*", "pizz"),
    ("*", ""),
    ("^pizza", "pizza"),
    ("content: pizza", "content pizza"),
    ("{content}: pizza", "content pizza"),
    ("NEAR(pizza bicycle, 2)", "near pizza bicycle 2"),
    ("pizza + bicycle", "pizza bicycle"),
    ("pizza'); DROP TABLE memories; --", "pizza drop table memories"),
    ("pizza\x00bicycle", "pizza bicycle"),
    ("PIZZA", "pizza"),
    ("'", ""),
    ("", ""),
]
