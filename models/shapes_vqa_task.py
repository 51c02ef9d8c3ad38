"""The shapes-vqa task: scene sampling, rendering, question generation and the word-level tokenizer.

Everything here follows models/shapes-vqa/README.md ("Task specification"); change both together.
Only numpy is used so the renderer is easy to audit against the written rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

IMAGE_SIZE = 96
GRID = 3
CELL = IMAGE_SIZE // GRID  # 32 px
CELL_MARGIN = 2  # an object's bounding box keeps this many pixels from its cell border -> gap >= 4 px

BACKGROUND_RANGE = (230, 250)  # per-image base value of each channel, inclusive
NOISE_AMPLITUDE = 6  # per-pixel, per-channel integer noise in [-6, +6], whole image, after drawing
COLOR_JITTER = 20  # per-object, per-channel integer offset in [-20, +20]

SHAPES = ("circle", "square", "triangle", "cross")
PLURALS = {"circle": "circles", "square": "squares", "triangle": "triangles", "cross": "crosses"}
COLORS = {
    "red": (200, 40, 40),
    "green": (40, 160, 60),
    "blue": (40, 80, 210),
    "yellow": (230, 210, 40),
    "purple": (130, 60, 180),
    "orange": (240, 140, 30),
}
COLOR_NAMES = tuple(COLORS)
SIZES = {"small": (12, 16), "large": (22, 28)}  # bounding-box side in pixels, inclusive
ROWS = ("top", "middle", "bottom")
COLS = ("left", "center", "right")
NUMBERS = ("zero", "one", "two", "three")

TEMPLATES = (
    "color",
    "shape",
    "count",
    "count_color",
    "count_shape",
    "exists",
    "position",
    "size",
    "caption",
)

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[BOS]", "[EOS]", "[SEP]", "[IMG]", "[MASK]")
PUNCTUATION = ("?", ".", ",", ":")
QUESTION_WORDS = (
    "what", "color", "is", "the", "shape", "object", "objects", "how", "many", "are", "there",
    "a", "an", "where", "size", "describe", "image",
)
ANSWER_WORDS = (
    COLOR_NAMES + SHAPES + NUMBERS + ("yes", "no") + ROWS + COLS + tuple(SIZES) + ("and",)
)


@dataclass(frozen=True)
class SceneObject:
    """One painted object: its discrete attributes and its exact geometry."""

    shape: str
    color: str
    size: str
    row: int
    col: int
    side: int
    x0: int
    y0: int
    rgb: tuple[int, int, int]


def build_vocab() -> list[str]:
    """Token list; the line index in vocab.txt is the token id."""
    words = list(SPECIAL_TOKENS) + list(PUNCTUATION)
    for w in QUESTION_WORDS + ANSWER_WORDS + tuple(PLURALS.values()):
        if w not in words:
            words.append(w)
    return words


class WordTokenizer:
    """Lowercase, split on whitespace, every punctuation character is its own token (BERT basic tokenization)."""

    _split = re.compile(r"[^\W_]+|[^\w\s]|_", re.UNICODE)

    def __init__(self, vocab: list[str]):
        self.vocab = vocab
        self.ids = {w: i for i, w in enumerate(vocab)}
        self.unk = self.ids["[UNK]"]

    def encode(self, text: str) -> list[int]:
        return [self.ids.get(t, self.unk) for t in self._split.findall(text.lower())]

    def decode(self, ids: list[int]) -> str:
        return " ".join(self.vocab[i] for i in ids)

    def id(self, token: str) -> int:
        return self.ids[token]


def sample_scene(rng: np.random.Generator) -> list[SceneObject]:
    """Draw 1..3 objects in distinct grid cells with distinct (shape, color) pairs."""
    n = int(rng.integers(1, 4))
    cells = rng.choice(GRID * GRID, size=n, replace=False)
    pairs = rng.choice(len(SHAPES) * len(COLOR_NAMES), size=n, replace=False)
    objects = []
    for cell, pair in zip(cells, pairs):
        row, col = divmod(int(cell), GRID)
        shape = SHAPES[int(pair) // len(COLOR_NAMES)]
        color = COLOR_NAMES[int(pair) % len(COLOR_NAMES)]
        size = "small" if rng.integers(0, 2) == 0 else "large"
        lo, hi = SIZES[size]
        side = int(rng.integers(lo, hi + 1))
        x0 = int(rng.integers(col * CELL + CELL_MARGIN, col * CELL + CELL - CELL_MARGIN - side + 1))
        y0 = int(rng.integers(row * CELL + CELL_MARGIN, row * CELL + CELL - CELL_MARGIN - side + 1))
        base = np.array(COLORS[color])
        rgb = np.clip(base + rng.integers(-COLOR_JITTER, COLOR_JITTER + 1, size=3), 0, 255)
        objects.append(SceneObject(shape, color, size, row, col, side, x0, y0, tuple(int(v) for v in rgb)))
    return objects


def shape_mask(shape: str, side: int) -> np.ndarray:
    """Boolean side x side mask: a pixel is painted iff its centre lies inside the shape (pixel-centre rule)."""
    c = (np.arange(side) + 0.5) - side / 2.0
    dx = c[None, :]
    dy = c[:, None]
    h = side / 2.0
    if shape == "square":
        m = (np.abs(dx) <= h) & (np.abs(dy) <= h)
    elif shape == "circle":
        m = dx * dx + dy * dy <= h * h
    elif shape == "triangle":
        m = (dy >= -h) & (dy <= h) & (np.abs(dx) <= (dy + h) / 2.0)
    elif shape == "cross":
        t = side / 6.0
        m = ((np.abs(dx) <= t) & (np.abs(dy) <= h)) | ((np.abs(dy) <= t) & (np.abs(dx) <= h))
    else:
        raise ValueError(shape)
    return m


def render(objects: list[SceneObject], rng: np.random.Generator) -> np.ndarray:
    """Paint the scene; returns uint8 [H, W, 3] RGB."""
    base = rng.integers(BACKGROUND_RANGE[0], BACKGROUND_RANGE[1] + 1, size=3)
    img = np.empty((IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.int32)
    img[:, :] = base
    for o in objects:
        m = shape_mask(o.shape, o.side)
        region = img[o.y0:o.y0 + o.side, o.x0:o.x0 + o.side]
        region[m] = o.rgb
    img += rng.integers(-NOISE_AMPLITUDE, NOISE_AMPLITUDE + 1, size=img.shape, dtype=np.int32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(0, len(items)))]


def _pick_half_present(rng: np.random.Generator, present: list[str], universe: tuple[str, ...]) -> str:
    # Half the time ask about something in the image so that non-zero counts are well represented.
    if present and rng.integers(0, 2) == 0:
        return _pick(rng, sorted(set(present), key=universe.index))
    return _pick(rng, list(universe))


def caption(objects: list[SceneObject]) -> str:
    ordered = sorted(objects, key=lambda o: (o.row, o.col))
    return " and ".join(f"{o.color} {o.shape}" for o in ordered)


def make_question(template: str, objects: list[SceneObject], rng: np.random.Generator):
    """Returns (question, answer) or None when the template has no unambiguous question for this scene."""
    shapes = [o.shape for o in objects]
    colors = [o.color for o in objects]
    if template == "color":
        unique = [s for s in SHAPES if shapes.count(s) == 1]
        if not unique:
            return None
        s = _pick(rng, unique)
        return f"what color is the {s}?", next(o.color for o in objects if o.shape == s)
    if template == "shape":
        unique = [c for c in COLOR_NAMES if colors.count(c) == 1]
        if not unique:
            return None
        c = _pick(rng, unique)
        return f"what shape is the {c} object?", next(o.shape for o in objects if o.color == c)
    if template == "count":
        return "how many objects are there?", NUMBERS[len(objects)]
    if template == "count_color":
        c = _pick_half_present(rng, colors, COLOR_NAMES)
        return f"how many {c} objects are there?", NUMBERS[colors.count(c)]
    if template == "count_shape":
        s = _pick_half_present(rng, shapes, SHAPES)
        return f"how many {PLURALS[s]} are there?", NUMBERS[shapes.count(s)]
    if template == "exists":
        present = {(o.color, o.shape) for o in objects}
        if rng.integers(0, 2) == 0:
            o = _pick(rng, objects)
            c, s = o.color, o.shape
        else:
            absent = [(c, s) for s in SHAPES for c in COLOR_NAMES if (c, s) not in present]
            c, s = _pick(rng, absent)
        answer = "yes" if (c, s) in present else "no"
        return f"is there {_article(c)} {c} {s}?", answer
    if template == "position":
        o = _pick(rng, objects)
        return f"where is the {o.color} {o.shape}?", f"{ROWS[o.row]} {COLS[o.col]}"
    if template == "size":
        o = _pick(rng, objects)
        return f"what size is the {o.color} {o.shape}?", o.size
    if template == "caption":
        return "describe the image.", caption(objects)
    raise ValueError(template)


def sample_example(rng: np.random.Generator):
    """One rendered image plus one question per applicable template: (image uint8 HWC, [(template, q, a)])."""
    objects = sample_scene(rng)
    image = render(objects, rng)
    qas = []
    for t in TEMPLATES:
        qa = make_question(t, objects, rng)
        if qa is not None:
            qas.append((t, qa[0], qa[1]))
    return image, objects, qas
