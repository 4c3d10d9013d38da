"""Sentences of the speech benchmark, each with the word that is changed three ways.

``minimal`` differs from ``word`` by one phone (CMUdict) and is a real word; ``other`` is
a different word; the third change omits ``word``. The generator checks the first claim
against the dictionary. The last ``DEV_COUNT`` sentences are the development set on which
the engine's calibration and the baseline's threshold are chosen; the others are the test
set every figure is reported on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sentence:
    text: str
    word: str
    minimal: str
    other: str


SENTENCES = [
    Sentence("The ship sailed across the quiet bay at dawn.", "ship", "sheep", "train"),
    Sentence("She put the red cup on the kitchen table.", "cup", "cap", "phone"),
    Sentence("We walked along the river after lunch.", "river", "liver", "garden"),
    Sentence("My brother bought a new bike last week.", "bike", "pike", "coat"),
    Sentence("The children played in the park all day.", "park", "bark", "snow"),
    Sentence("They sleep in a small tent by the lake.", "sleep", "slip", "cook"),
    Sentence("He likes to read books in the evening.", "books", "hooks", "maps"),
    Sentence("The cat slept on the warm mat.", "mat", "map", "bench"),
    Sentence("They need a bigger boat for the trip.", "boat", "goat", "house"),
    Sentence("I left my keys on the desk this morning.", "desk", "disk", "chair"),
    Sentence("The baker sold fresh bread every morning.", "bread", "breed", "fish"),
    Sentence("Our teacher wrote the answer on the board.", "wrote", "rode", "drew"),
    Sentence("The dog ran quickly through the tall grass.", "grass", "glass", "trees"),
    Sentence("She wore a long coat in the winter.", "coat", "goat", "dress"),
    Sentence("The farmer fed the hungry pigs at noon.", "fed", "fad", "washed"),
    Sentence("We heard a loud noise in the night.", "loud", "load", "strange"),
    Sentence("The little girl held a bright red ball.", "ball", "bull", "flower"),
    Sentence("He filled the bucket with cold water.", "cold", "gold", "clean"),
    Sentence("The students sat in rows and listened.", "sat", "set", "stood"),
    Sentence("My mother makes soup when it rains.", "soup", "soap", "bread"),
    Sentence("The old man walked slowly up the hill.", "hill", "hall", "road"),
    Sentence("A small bird sang on the branch.", "sang", "sung", "slept"),
    Sentence("Please pass me the salt and pepper.", "pass", "path", "give"),
    Sentence("They watched the sun set over the sea.", "set", "sat", "rise"),
    Sentence("The train left the station at nine.", "nine", "line", "ten"),
    Sentence("He caught a big fish in the lake.", "fish", "dish", "frog"),
    Sentence("The wind blew the leaves off the trees.", "leaves", "lives", "papers"),
    Sentence("She painted the fence a bright white.", "white", "wide", "green"),
    Sentence("We found a coin under the bed.", "bed", "bad", "rug"),
    Sentence("The kids ate pizza for dinner.", "dinner", "thinner", "lunch"),
    Sentence("My father reads the paper at breakfast.", "paper", "pepper", "news"),
    Sentence("The rain fell all through the night.", "rain", "lane", "dust"),
    Sentence("He wrote a short letter to his friend.", "letter", "litter", "poem"),
    Sentence("They sat near the fire and talked.", "near", "gear", "beside"),
    Sentence("The team won the game on Friday.", "game", "came", "match"),
    Sentence("Lock the gate when you go out.", "gate", "date", "shed"),
]

DEV_COUNT = 12
TEST = SENTENCES[: len(SENTENCES) - DEV_COUNT]
DEV = SENTENCES[len(SENTENCES) - DEV_COUNT :]
