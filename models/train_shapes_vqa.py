#!/usr/bin/python3
"""Train the shapes-vqa demo model on CPU, export its four ONNX parts, and write eval / calibration / golden data.

Usage (normally through models/build_demo_model.sh):
    /usr/bin/python3 models/train_shapes_vqa.py --out models/shapes-vqa [--steps N] [--split-layer K]
    /usr/bin/python3 models/train_shapes_vqa.py --bench 10      # time a few training steps and exit
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time

# Torch's OpenMP threads and OpenBLAS's own pthreads share the cores. By default an idle OpenMP thread spins after each
# parallel region, and on 2 cores it takes the CPU from the BLAS threads doing the matrix products: a training step
# takes twice as long. Passive waiting changes no result, only the time. libgomp reads this once, when torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import shapes_vqa_task as task  # noqa: E402
from shapes_vqa_model import Config, ShapesVlm, decoder_allowed  # noqa: E402

MODEL_NAME = "shapes-vqa"
MODEL_VERSION = "1.0.0"
TRAIN_SEED = 1234
EVAL_SEED = 777001  # never used for training: training draws only from TRAIN_SEED's stream
CALIB_SEED = 888002
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)
PROMPT_TEMPLATE = "[BOS] [IMG] {question} [SEP]"
MAX_NEW_TOKENS = 16
ONNX_OPSET = 17


# ---------------------------------------------------------------------------------------------------------------------
# preprocessing and tokenization

def preprocess(images: np.ndarray) -> torch.Tensor:
    """uint8 [B,H,W,3] RGB -> float32 [B,3,H,W]: x/255, then (x-mean)/std per channel."""
    x = torch.from_numpy(images).to(torch.float32).div(255.0).permute(0, 3, 1, 2)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def load_png(path: str) -> np.ndarray:
    img = Image.open(path).convert("RGB")
    if img.size != (task.IMAGE_SIZE, task.IMAGE_SIZE):
        img = img.resize((task.IMAGE_SIZE, task.IMAGE_SIZE), Image.BILINEAR)
    return np.array(img, dtype=np.uint8)


def prompt_ids(tok: task.WordTokenizer, question: str) -> list[int]:
    """[BOS] [IMG] question tokens [SEP]; [IMG] is later replaced by all T vision tokens."""
    return [tok.id("[BOS]"), tok.id("[IMG]")] + tok.encode(question) + [tok.id("[SEP]")]


# ---------------------------------------------------------------------------------------------------------------------
# training batches: one image prefix shared by several packed question/answer segments

def build_packed_batch(examples, tok: task.WordTokenizer, t_img: int):
    """Returns ids [B,L] (image slots hold [IMG]), positions [B,L], allowed [B,1,L,L], labels [B,L], segment ids
    [B,L] (0 prefix, k for the k-th question, -1 padding) and the template index of every segment [B, max segments].

    Row layout: [BOS] img*T | q1 [SEP] a1 [EOS] | q2 [SEP] a2 [EOS] | ... Each segment attends to the prefix and
    causally to itself, with positions restarting at T+1, which is exactly the single-question sequence.
    """
    prefix = 1 + t_img
    rows = []
    for _, qas in examples:
        ids, pos, seg, lab = [], [], [], []
        for k, (_, q, a) in enumerate(qas, start=1):
            qi = tok.encode(q) + [tok.id("[SEP]")]
            ai = tok.encode(a) + [tok.id("[EOS]")]
            s = qi + ai
            ids += s
            pos += list(range(prefix, prefix + len(s)))
            seg += [k] * len(s)
            lab += [-100] * (len(qi) - 1) + ai + [-100]
        rows.append((ids, pos, seg, lab))
    width = max(len(r[0]) for r in rows)
    b = len(rows)
    L = prefix + width
    ids = torch.full((b, L), tok.id("[PAD]"), dtype=torch.long)
    ids[:, 0] = tok.id("[BOS]")
    ids[:, 1:prefix] = tok.id("[IMG]")
    pos = torch.zeros((b, L), dtype=torch.long)
    pos[:, :prefix] = torch.arange(prefix)
    seg = torch.full((b, L), -1, dtype=torch.long)
    seg[:, :prefix] = 0
    labels = torch.full((b, L), -100, dtype=torch.long)
    for i, (ri, rp, rs, rl) in enumerate(rows):
        n = len(ri)
        ids[i, prefix:prefix + n] = torch.tensor(ri)
        pos[i, prefix:prefix + n] = torch.tensor(rp)
        seg[i, prefix:prefix + n] = torch.tensor(rs)
        labels[i, prefix:prefix + n] = torch.tensor(rl)
    causal = torch.ones(L, L, dtype=torch.bool).tril()
    same = (seg.unsqueeze(2) == seg.unsqueeze(1)) | (seg.unsqueeze(1) == 0)
    allowed = (causal.unsqueeze(0) & same & (seg.unsqueeze(2) >= 0)).unsqueeze(1)
    tmpl = torch.full((b, 1 + max(len(q) for _, q in examples)), -1, dtype=torch.long)
    for i, (_, qas) in enumerate(examples):
        for k, (t, _, _) in enumerate(qas, start=1):
            tmpl[i, k] = task.TEMPLATES.index(t)
    return ids, pos, allowed, labels, seg, tmpl


def splice(model: ShapesVlm, ids: torch.Tensor, image_embeds: torch.Tensor) -> torch.Tensor:
    """Token embeddings with the single [IMG] at index 1 expanded into the T image embeddings."""
    emb = model.lm.embed(ids)
    return torch.cat([emb[:, :1], image_embeds, emb[:, 2:]], dim=1)


def object_patches(obj: task.SceneObject, patch: int) -> np.ndarray:
    """bool [patches]: the patch tokens that contain at least one pixel of the object."""
    n = task.IMAGE_SIZE // patch
    painted = np.zeros((task.IMAGE_SIZE, task.IMAGE_SIZE), dtype=bool)
    painted[obj.y0:obj.y0 + obj.side, obj.x0:obj.x0 + obj.side] = task.shape_mask(obj.shape, obj.side)
    return painted.reshape(n, patch, n, patch).any(axis=(1, 3)).reshape(-1)


RETRIEVAL_TEMPLATES = ("color", "exists", "position", "size")


def retrieval_targets(examples, ids: torch.Tensor, seg: torch.Tensor, tok, patch: int):
    """For every question that names one object by its shape (and maybe colour) in a scene of several objects: the
    batch row, the index of its [SEP] (the query that predicts the first answer token) and that object's patches."""
    shapes, colors = set(task.SHAPES), set(task.COLOR_NAMES)
    sep = tok.id("[SEP]")
    rows, queries, masks = [], [], []
    for i, (objects, qas) in enumerate(examples):
        if len(objects) < 2:
            continue
        for k, (template, question, answer) in enumerate(qas, start=1):
            if template not in RETRIEVAL_TEMPLATES or (template == "exists" and answer != "yes"):
                continue
            words = question.rstrip("?.").split()
            shape = next(w for w in words if w in shapes)
            color = next((w for w in words if w in colors), None)
            target = [o for o in objects if o.shape == shape and color in (None, o.color)]
            if len(target) != 1:
                continue
            rows.append(i)
            queries.append(int(((seg[i] == k) & (ids[i] == sep)).nonzero()[0]))
            masks.append(object_patches(target[0], patch))
    if not rows:
        return None
    return torch.tensor(rows), torch.tensor(queries), torch.from_numpy(np.stack(masks))


def retrieval_loss(model: ShapesVlm, targets, layer: int) -> torch.Tensor:
    """-log of the attention mass that head 0 of LM layer `layer` puts, from the question's [SEP], on the patches of
    the object the question names. Without it the LM never learned to look an object up by its shape: it answered
    "what color is the circle?" from the colours of all objects (0.59 on scenes of several objects, against 1.0 when
    looking up by colour), because the CLS token's colour counts already give every single-object scene right."""
    rows, queries, masks = targets
    t_img = model.cfg.vision_tokens
    att = model.lm.layers[layer].attn.last_attention[rows, 0, queries, 2:1 + t_img]  # patches follow [BOS] and CLS
    return -torch.log((att * masks).sum(-1) + 1e-4).mean()


def training_step_loss(model: ShapesVlm, batch, tok, t_img: int, split_transform=None, retrieval=None):
    """Loss on answer tokens, plus per-template teacher-forced exact-match counts for the training log.
    `split_transform` (stage 4) is applied to the hidden state at the split, between the edge and the cloud half;
    `retrieval` = (layer, weight) adds the weighted retrieval_loss."""
    images, examples = batch
    ids, pos, allowed, labels, seg, tmpl = build_packed_batch(examples, tok, t_img)
    targets = retrieval_targets(examples, ids, seg, tok, model.cfg.patch_size) if retrieval else None
    if split_transform is None:
        img = model.vision(preprocess(images))
    else:
        split, transform = split_transform
        img = model.vision.tail(transform(model.vision.head(preprocess(images), split)), split)
    aux_loss = getattr(split_transform[1], "aux_loss", None) if split_transform is not None else None
    emb = model.lm.embed(ids)
    x = torch.cat([emb[:, :1], img, emb[:, 1 + t_img:]], dim=1)
    logits, _ = model.lm(x, pos, allowed)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1), ignore_index=-100)
    if aux_loss is not None:
        loss = loss + aux_loss
    if targets is not None:
        loss = loss + retrieval[1] * retrieval_loss(model, targets, retrieval[0])
    with torch.no_grad():
        wrong = ((logits.argmax(-1) != labels) & (labels != -100)).numpy()
        segn, tmpln = seg.numpy(), tmpl.numpy()
        stats = np.zeros((len(task.TEMPLATES), 2))
        for i in range(wrong.shape[0]):
            bad = np.bincount(np.maximum(segn[i], 0), weights=wrong[i], minlength=tmpln.shape[1])
            for k in range(1, tmpln.shape[1]):
                if tmpln[i, k] >= 0:
                    stats[tmpln[i, k]] += (bad[k] == 0, 1)
    return loss, stats


def sample_batch(rng: np.random.Generator, n: int):
    images, examples = [], []
    for _ in range(n):
        img, objs, qas = task.sample_example(rng)
        images.append(img)
        examples.append((objs, qas))
    return np.stack(images), examples


def matmul_precision(precision: str):
    """Autocast for a training forward pass. With `bf16` the matrix products run in bfloat16 (weights, optimizer
    state and the exported model stay float32): up to twice as fast on CPUs with AVX512-BF16. Good for quick
    experiments, but not the default: the bf16-trained model answered as well uncompressed and lost 5-7 points more at
    the shipped codec rate (see models/shapes-vqa/README.md)."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (0.02 + 0.98 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, p))))


class TokenProbe(torch.nn.Module):
    """Stage-1 head, discarded after pretraining. A *linear* read-out of every patch token predicts the shape, colour
    and size of the object whose pixels it contains (or empty/none) and the row and column of its grid cell; a linear
    read-out of the CLS token predicts the number of objects and the count of every colour and every shape. Linear and
    per token on purpose: the LM reads image tokens through attention, i.e. linear maps of single tokens."""

    def __init__(self, dim: int):
        super().__init__()
        self.sizes = (len(task.SHAPES) + 1, len(task.COLOR_NAMES) + 1, 3, task.GRID, task.GRID)
        self.patch = torch.nn.Linear(dim, sum(self.sizes))
        self.counts = 1 + len(task.COLOR_NAMES) + len(task.SHAPES)
        self.cls = torch.nn.Linear(dim, 4 * self.counts)

    def forward(self, tokens: torch.Tensor):
        heads = torch.split(self.patch(tokens[:, 1:]), self.sizes, dim=-1)
        return heads, self.cls(tokens[:, 0]).reshape(-1, self.counts, 4)


def token_labels(examples, patch: int):
    """Per patch token: (shape, colour, size) of the object painted in it (0 = none) and (row, col) of its cell;
    per image: counts (total, per colour, per shape)."""
    n = task.IMAGE_SIZE // patch
    centres = (np.arange(n) * patch + patch / 2.0) // task.CELL
    out = np.zeros((len(examples), n * n, 5), dtype=np.int64)
    out[:, :, 3] = np.repeat(centres, n)
    out[:, :, 4] = np.tile(centres, n)
    counts = np.zeros((len(examples), 1 + len(task.COLOR_NAMES) + len(task.SHAPES)), dtype=np.int64)
    for i, (objects, _) in enumerate(examples):
        counts[i, 0] = len(objects)
        for o in objects:
            counts[i, 1 + task.COLOR_NAMES.index(o.color)] += 1
            counts[i, 1 + len(task.COLOR_NAMES) + task.SHAPES.index(o.shape)] += 1
            hit = object_patches(o, patch)
            out[i, hit, 0] = 1 + task.SHAPES.index(o.shape)
            out[i, hit, 1] = 1 + task.COLOR_NAMES.index(o.color)
            out[i, hit, 2] = 1 if o.size == "small" else 2
    return torch.from_numpy(out), torch.from_numpy(counts)


def pretrain_vision(model: ShapesVlm, args, log) -> float:
    """Stage 1 (curriculum): supervised per-token scene labels warm up the ViT, playing the part of LLaVA's
    pretrained vision tower; stage 2 then mostly has to teach the projector and the LM to read these features."""
    probe = TokenProbe(model.cfg.vit_dim)
    params = list(model.vision.parameters()) + list(probe.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05, betas=(0.9, 0.98))
    rng = np.random.default_rng(TRAIN_SEED + 1)
    start = time.time()
    v = model.vision
    for step in range(args.vision_steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.vision_steps, args.lr, args.warmup)
        images, examples = sample_batch(rng, args.vision_batch)
        labels, counts = token_labels(examples, v.cfg.patch_size)
        with matmul_precision(args.precision):
            tokens = v.ln_post(v.head(preprocess(images), v.cfg.vit_layers))
            heads, cls = probe(tokens)
            loss = F.cross_entropy(cls.flatten(0, 1).float(), counts.flatten())
            for j, h in enumerate(heads):
                loss = loss + F.cross_entropy(h.flatten(0, 1).float(), labels[:, :, j].flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % 50 == 0 or step == args.vision_steps - 1:
            obj = labels[:, :, 0] > 0
            ok = torch.stack([h.argmax(-1) == labels[:, :, j] for j, h in enumerate(heads[:3])]).all(0)
            cnt = (cls.argmax(-1) == counts).all(1).float().mean().item()
            el = time.time() - start
            log(f"vision step {step} loss {loss.item():.4f} object-token acc {ok[obj].float().mean().item():.3f} "
                f"empty-token acc {ok[~obj].float().mean().item():.3f} counts-exact {cnt:.3f} "
                f"elapsed {el:.0f}s ({el / (step + 1):.2f}s/step)")
    return round(time.time() - start, 1)


def train(model: ShapesVlm, tok, args, log, steps: int, peak_lr: float, warmup: int, seed: int,
          vision_lr_scale: float, split_transform=None, on_step=None) -> dict:
    t_img = model.cfg.vision_tokens
    groups = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        # The pretrained ViT is fine-tuned gently (vision_lr_scale) so stage 2 cannot wash out its features.
        vit = name.startswith("vision.") and not name.startswith("vision.projector.")
        nd = p.ndim < 2 or name.endswith(".pos") or name.endswith(".cls")
        groups.setdefault((vit, nd), []).append(p)
    opt = torch.optim.AdamW([{"params": ps, "weight_decay": 0.0 if nd else 0.05,
                              "scale": vision_lr_scale if vit else 1.0}
                             for (vit, nd), ps in groups.items()], lr=args.lr, betas=(0.9, 0.98))
    rng = np.random.default_rng(seed)
    model.train()
    retrieval = (args.retrieval_layer, args.retrieval_weight) if args.retrieval_weight > 0 else None
    if retrieval:
        model.lm.layers[retrieval[0]].attn.keep_attention = True
    start = time.time()
    ema = None
    tstats = np.zeros((len(task.TEMPLATES), 2))
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, peak_lr, warmup) * g["scale"]
        if on_step is not None:
            on_step(step)
        batch = sample_batch(rng, args.batch)
        with matmul_precision(args.precision):
            loss, st = training_step_loss(model, batch, tok, t_img, split_transform, retrieval)
        tstats += st
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 50 == 0 or step == steps - 1:
            el = time.time() - start
            log(f"step {step} loss {loss.item():.4f} ema {ema:.4f} lr {lr_at(step, steps, peak_lr, warmup):.2e} "
                f"elapsed {el:.0f}s ({el / (step + 1):.2f}s/step)")
        if step % 100 == 99:
            log("  train exact (teacher forced, last 100 steps): " + " ".join(
                f"{t} {a / max(n, 1):.3f}" for t, (a, n) in zip(task.TEMPLATES, tstats)))
            tstats[:] = 0
    if retrieval:
        model.lm.layers[retrieval[0]].attn.keep_attention = False
        model.lm.layers[retrieval[0]].attn.last_attention = None
    return {"train_seconds": round(time.time() - start, 1), "steps": steps, "final_loss_ema": round(ema, 5)}


class SplitQuantizers:
    """Stage 4 (split robustness): the model learns to read the split tensor after vector quantization.

    The quantizers mirror what the product's AlignedVQ codec does to a token at the rates the product runs at: with
    alignment `pos` (the default, like the shipped raw-pos codebooks) each position's mean out and raw residual k-means
    on the rest; with `norm` channel bias, per-token mean and RMS on scalar levels, centering, and residual k-means
    weighted by the token's RMS squared. They are re-fitted every `refit_every` steps on fresh images with a new seed,
    so the model learns to tolerate k-means quantization in general rather than one particular codebook's cells.
    With `commitment` > 0 the edge half trains too (see __call__); otherwise it is frozen and only the cloud half adapts.
    """

    # Default (residual stages, centroids per stage): 6 to 12 bits of vector index per token (--robust-rates).
    RATES = ((1, 64), (1, 256), (2, 32), (2, 64))
    RMS_LEVELS = 16
    MEAN_LEVELS = 2

    def __init__(self, model: ShapesVlm, split: int, clean_fraction: float, refit_every: int, seed: int, log,
                 commitment: float = 0.0, commitment_rate: int = 1, rates=RATES, alignment: str = "norm"):
        self.rates = tuple(rates)
        self.alignment = alignment
        self.commitment = commitment
        self.commitment_rate = commitment_rate
        self.aux_loss = None
        self.model = model
        self.split = split
        self.clean_fraction = clean_fraction
        self.refit_every = refit_every
        self.rng = np.random.default_rng(seed)
        self.log = log
        self.fits = 0

    def on_step(self, step: int):
        if step % self.refit_every == 0:
            self.fit()

    @torch.no_grad()
    def fit(self, images: int = 384, sample_tokens: int = 12000, iterations: int = 12):
        started = time.time()
        gen = torch.Generator().manual_seed(int(self.rng.integers(1 << 31)))
        batch, _ = sample_batch(self.rng, images)
        hidden = self.model.vision.head(preprocess(batch), self.split)
        if self.alignment == "pos":
            # Like the codec's raw-pos configurations: each position's mean out, raw residual k-means on the rest.
            self.position_bias = hidden.mean(0)
            z = (hidden - self.position_bias).reshape(-1, self.model.cfg.vit_dim)
            pick = torch.randint(len(z), (min(sample_tokens, len(z)),), generator=gen)
            self._fit_books(z[pick], iterations, gen, started)
            return
        x = hidden.reshape(-1, self.model.cfg.vit_dim)
        self.bias = x.mean(0)
        x = x - self.bias
        mean, rms = self._stats(x)
        self.log_rms_levels = self._levels_1d(torch.log2(rms), self.RMS_LEVELS, gen)
        self.ratio_levels = self._levels_1d(mean / rms, self.MEAN_LEVELS, gen)
        mean_q, rms_q = self._quantized_stats(x)
        z = (x - mean_q[:, None]) / rms_q[:, None]
        self.center = z.mean(0)
        z = z - self.center
        # Weighted k-means by resampling: a normalized token's error comes back multiplied by its RMS squared.
        weights = rms_q ** 2
        pick = torch.multinomial(weights / weights.sum(), min(sample_tokens, len(z)), replacement=True, generator=gen)
        self._fit_books(z[pick], iterations, gen, started)

    def _fit_books(self, sample: torch.Tensor, iterations: int, gen, started: float):
        self.books = []
        for stages, k in self.rates:
            residual = sample.clone()
            book = []
            for _ in range(stages):
                c = self._kmeans(residual, k, iterations, gen)
                book.append(c)
                residual = residual - c[self._nearest(residual, c)]
            self.books.append(book)
        self.fits += 1
        self.log(f"split quantizers fitted (#{self.fits}, {time.time() - started:.1f}s)")

    @staticmethod
    def _stats(x: torch.Tensor):
        mean = x.mean(-1)
        rms = (x - mean[:, None]).pow(2).mean(-1).sqrt().clamp(min=1e-6)
        return mean, rms

    @staticmethod
    def _levels_1d(values: torch.Tensor, k: int, gen) -> torch.Tensor:
        levels = torch.quantile(values, (torch.arange(k, dtype=torch.float32) + 0.5) / k)
        for _ in range(20):  # Lloyd-Max on the scalar values
            idx = (values[:, None] - levels[None]).abs().argmin(1)
            for j in range(k):
                sel = values[idx == j]
                if len(sel):
                    levels[j] = sel.mean()
        return levels.sort().values

    def _quantized_stats(self, x: torch.Tensor):
        mean, rms = self._stats(x)
        rms_q = torch.exp2(self.log_rms_levels[(torch.log2(rms)[:, None] - self.log_rms_levels[None]).abs().argmin(1)])
        ratio_q = self.ratio_levels[((mean / rms)[:, None] - self.ratio_levels[None]).abs().argmin(1)]
        return ratio_q * rms_q, rms_q

    @staticmethod
    def _nearest(x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return ((c * c).sum(1)[None] - 2.0 * x @ c.T).argmin(1)

    def _kmeans(self, x: torch.Tensor, k: int, iterations: int, gen) -> torch.Tensor:
        c = x[torch.randperm(len(x), generator=gen)[:k]].clone()
        for _ in range(iterations):
            idx = self._nearest(x, c)
            sums = torch.zeros_like(c).index_add_(0, idx, x)
            counts = torch.bincount(idx, minlength=k).float()
            empty = counts == 0
            c = torch.where(empty[:, None], x[torch.randint(len(x), (k,), generator=gen)], sums / counts.clamp(min=1)[:, None])
        return c

    def _residual_vq(self, z: torch.Tensor, rate: int) -> torch.Tensor:
        """Sum of the nearest centroid of each stage of `rate`, each stage quantizing what the previous ones left."""
        approx = torch.zeros_like(z)
        for c in self.books[rate]:
            approx = approx + c[self._nearest(z - approx, c)]
        return approx

    def quantize(self, x: torch.Tensor, rate: int) -> torch.Tensor:
        if self.alignment == "pos":
            approx = self._residual_vq((x - self.position_bias).reshape(-1, x.shape[-1]), rate)
            return approx.reshape(x.shape) + self.position_bias
        flat = x.reshape(-1, x.shape[-1]) - self.bias
        mean_q, rms_q = self._quantized_stats(flat)
        approx = self._residual_vq((flat - mean_q[:, None]) / rms_q[:, None] - self.center, rate)
        return ((approx + self.center) * rms_q[:, None] + mean_q[:, None] + self.bias).reshape(x.shape)

    def __call__(self, hidden: torch.Tensor) -> torch.Tensor:
        """Per image: clean with probability `clean_fraction`, else quantized at a random rate. When the edge half
        trains too (`commitment` > 0), the quantization error is passed straight through to it and a commitment loss
        pulls every token towards its reconstruction at the target rate, so the edge learns features that vector
        quantization keeps."""
        self.aux_loss = None
        # The codec quantizes in float32; nearest-centroid search in bfloat16 would pick other cells.
        with torch.autocast("cpu", enabled=False):
            return self._quantize_for_training(hidden.float())

    def _quantize_for_training(self, hidden: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            quantized = hidden.detach().clone()
            for i in range(hidden.shape[0]):
                if self.rng.random() >= self.clean_fraction:
                    quantized[i] = self.quantize(hidden[i].detach(), int(self.rng.integers(len(self.rates))))
        if not hidden.requires_grad:
            return quantized
        if self.commitment > 0:
            with torch.no_grad():
                target = self.quantize(hidden.detach(), self.commitment_rate)
                centred = hidden.detach() - hidden.detach().mean(-1, keepdim=True)
                scale = centred.pow(2).sum(-1).clamp(min=1e-6)
            self.aux_loss = self.commitment * ((hidden - target).pow(2).sum(-1) / scale).mean()
        return hidden + (quantized - hidden).detach()


def train_split_robust(model: ShapesVlm, tok, args, log, steps: int, peak_lr: float, commitment: float) -> dict:
    """Stages 4 and 5: training on clean and vector-quantized split tensors (seed 1237 for data and quantizer re-fits)."""
    quantizers = SplitQuantizers(model, args.split_layer, args.robust_clean_fraction, args.robust_refit_every,
                                 TRAIN_SEED + 3, log, commitment, args.robust_commitment_rate,
                                 parse_rates(args.robust_rates), args.robust_alignment)
    return train(model, tok, args, log, steps, peak_lr, 50, TRAIN_SEED + 3, args.extra_vision_lr_scale,
                 (args.split_layer, quantizers), quantizers.on_step)


def parse_rates(text: str):
    """'1x64,2x256' -> ((1, 64), (2, 256))."""
    return tuple(tuple(int(v) for v in part.split("x")) for part in text.split(","))


def freeze_edge(model: ShapesVlm, split: int):
    """Everything the exported vision_edge.onnx computes stops learning."""
    v = model.vision
    for module in [v.patch, *v.blocks[:split]]:
        for p in module.parameters():
            p.requires_grad_(False)
    v.cls.requires_grad_(False)
    v.pos.requires_grad_(False)


# ---------------------------------------------------------------------------------------------------------------------
# inference (same code path the exported decoder uses)

@torch.no_grad()
def greedy_batch(model: ShapesVlm, tok, pixel_values: torch.Tensor, questions: list[str], split: int,
                 padding: str = "left", max_new: int = MAX_NEW_TOKENS):
    """Batched greedy decoding with a KV cache; prompts of different length are padded on `padding` side."""
    t_img = model.cfg.vision_tokens
    image_embeds = model.vision.tail(model.vision.head(pixel_values, split), split)
    seqs = [prompt_ids(tok, q) for q in questions]
    lens = [len(s) - 1 + t_img for s in seqs]  # [IMG] expands to T tokens
    width = max(lens)
    b = len(seqs)
    embeds = torch.zeros(b, width, model.cfg.lm_dim)
    mask = torch.zeros(b, width, dtype=torch.long)
    for i, s in enumerate(seqs):
        e = splice(model, torch.tensor([s]), image_embeds[i:i + 1])[0]
        off = width - lens[i] if padding == "left" else 0
        embeds[i, off:off + lens[i]] = e
        mask[i, off:off + lens[i]] = 1
    pos = (mask.cumsum(1) - 1).clamp(min=0)
    logits, past = model.lm(embeds, pos, decoder_allowed(mask, width))
    next_pos = torch.tensor(lens).unsqueeze(1)
    if padding == "left":
        last = logits[:, -1]
    else:
        last = logits[torch.arange(b), torch.tensor(lens) - 1]
    eos = tok.id("[EOS]")
    out = [[] for _ in range(b)]
    done = [False] * b
    for _ in range(max_new):
        nxt = last.argmax(-1)
        for i in range(b):
            if not done[i]:
                if int(nxt[i]) == eos:
                    done[i] = True
                else:
                    out[i].append(int(nxt[i]))
        if all(done):
            break
        mask = torch.cat([mask, torch.ones(b, 1, dtype=torch.long)], dim=1)
        logits, past = model.lm(model.lm.embed(nxt.unsqueeze(1)), next_pos, decoder_allowed(mask, 1),
                                [(k, v) for k, v in past])
        next_pos = next_pos + 1
        last = logits[:, -1]
    return out


@torch.no_grad()
def evaluate(model: ShapesVlm, tok, records: list[dict], root: str, split: int, batch: int = 48) -> dict:
    model.eval()
    per = {}
    wrong = []
    for i in range(0, len(records), batch):
        chunk = records[i:i + batch]
        px = preprocess(np.stack([load_png(os.path.join(root, r["image"])) for r in chunk]))
        outs = greedy_batch(model, tok, px, [r["question"] for r in chunk], split)
        for r, o in zip(chunk, outs):
            pred = tok.decode(o)
            ok = pred == r["answer"]
            c = per.setdefault(r["template"], [0, 0])
            c[0] += int(ok)
            c[1] += 1
            if not ok and len(wrong) < 25:
                wrong.append({"image": r["image"], "question": r["question"], "answer": r["answer"], "predicted": pred})
    total_ok = sum(v[0] for v in per.values())
    total = sum(v[1] for v in per.values())
    return {
        "overall": round(total_ok / total, 4),
        "correct": total_ok,
        "total": total,
        "per_template": {t: {"accuracy": round(v[0] / v[1], 4), "correct": v[0], "total": v[1]}
                         for t, v in sorted(per.items(), key=lambda kv: task.TEMPLATES.index(kv[0]))},
        "wrong_examples": wrong,
    }


# ---------------------------------------------------------------------------------------------------------------------
# data folders

def write_eval_set(out: str, n_images: int, per_image: int) -> list[dict]:
    rng = np.random.default_rng(EVAL_SEED)
    os.makedirs(os.path.join(out, "eval", "images"), exist_ok=True)
    records = []
    nt = len(task.TEMPLATES)
    for i in range(n_images):
        objects = task.sample_scene(rng)
        image = task.render(objects, rng)
        rel = f"eval/images/{i:04d}.png"
        Image.fromarray(image).save(os.path.join(out, rel), optimize=True)
        used = set()
        k = 0
        start = i * per_image
        while len(used) < per_image and k < nt:
            t = task.TEMPLATES[(start + k) % nt]
            k += 1
            qa = task.make_question(t, objects, rng)
            if qa is None:
                continue
            used.add(t)
            records.append({"image": rel, "question": qa[0], "answer": qa[1], "template": t})
    with open(os.path.join(out, "eval", "eval.jsonl"), "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return records


def write_calib_set(out: str, n: int):
    rng = np.random.default_rng(CALIB_SEED)
    os.makedirs(os.path.join(out, "calib"), exist_ok=True)
    for i in range(n):
        image = task.render(task.sample_scene(rng), rng)
        Image.fromarray(image).save(os.path.join(out, "calib", f"{i:04d}.png"), optimize=True)


# ---------------------------------------------------------------------------------------------------------------------
# ONNX export

class EdgePart(torch.nn.Module):
    def __init__(self, model: ShapesVlm, split: int):
        super().__init__()
        self.vision = model.vision
        self.split = split

    def forward(self, pixel_values):
        return self.vision.head(pixel_values, self.split)


class CloudPart(torch.nn.Module):
    def __init__(self, model: ShapesVlm, split: int):
        super().__init__()
        self.vision = model.vision
        self.split = split

    def forward(self, hidden_state):
        return self.vision.tail(hidden_state, self.split)


class EmbedPart(torch.nn.Module):
    def __init__(self, model: ShapesVlm):
        super().__init__()
        self.embed = model.lm.embed

    def forward(self, input_ids):
        return self.embed(input_ids)


class DecoderPart(torch.nn.Module):
    def __init__(self, model: ShapesVlm):
        super().__init__()
        self.lm = model.lm

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        allowed = decoder_allowed(attention_mask, inputs_embeds.shape[1])
        logits, presents = self.lm(inputs_embeds, position_ids, allowed, past)
        flat = []
        for k, v in presents:
            flat += [k, v]
        return (logits, *flat)


def export_onnx(model: ShapesVlm, out: str, split: int, log) -> dict:
    import onnx

    cfg = model.cfg
    model.eval()
    hd = cfg.lm_dim // cfg.lm_heads
    parts = {}

    def check(path):
        m = onnx.load(path)
        onnx.checker.check_model(m, full_check=True)
        return m

    px = torch.randn(2, 3, cfg.image_size, cfg.image_size)
    path = os.path.join(out, "vision_edge.onnx")
    torch.onnx.export(EdgePart(model, split), (px,), path, opset_version=ONNX_OPSET, input_names=["pixel_values"],
                      output_names=["hidden_state"],
                      dynamic_axes={"pixel_values": {0: "batch"}, "hidden_state": {0: "batch"}})
    check(path)
    parts["vision_edge"] = {
        "file": "vision_edge.onnx",
        "inputs": [{"name": "pixel_values", "dtype": "float32", "shape": ["batch", 3, cfg.image_size, cfg.image_size]}],
        "outputs": [{"name": "hidden_state", "dtype": "float32", "shape": ["batch", cfg.vision_tokens, cfg.vit_dim]}],
    }

    hs = torch.randn(2, cfg.vision_tokens, cfg.vit_dim)
    path = os.path.join(out, "vision_cloud.onnx")
    torch.onnx.export(CloudPart(model, split), (hs,), path, opset_version=ONNX_OPSET, input_names=["hidden_state"],
                      output_names=["image_embeds"],
                      dynamic_axes={"hidden_state": {0: "batch"}, "image_embeds": {0: "batch"}})
    check(path)
    parts["vision_cloud"] = {
        "file": "vision_cloud.onnx",
        "inputs": [{"name": "hidden_state", "dtype": "float32", "shape": ["batch", cfg.vision_tokens, cfg.vit_dim]}],
        "outputs": [{"name": "image_embeds", "dtype": "float32", "shape": ["batch", cfg.vision_tokens, cfg.lm_dim]}],
    }

    ids = torch.tensor([[2, 5, 11, 4], [2, 5, 12, 4]], dtype=torch.long)
    path = os.path.join(out, "embed_tokens.onnx")
    torch.onnx.export(EmbedPart(model), (ids,), path, opset_version=ONNX_OPSET, input_names=["input_ids"],
                      output_names=["inputs_embeds"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "inputs_embeds": {0: "batch", 1: "sequence"}})
    check(path)
    parts["embed_tokens"] = {
        "file": "embed_tokens.onnx",
        "inputs": [{"name": "input_ids", "dtype": "int64", "shape": ["batch", "sequence"]}],
        "outputs": [{"name": "inputs_embeds", "dtype": "float32", "shape": ["batch", "sequence", cfg.lm_dim]}],
    }

    # Traced with a non-empty past (P=4, S=3) so the concat/mask graph is general; P=0 works at run time too
    # (verified in PyTorch by verify_decoder_logic and against goldens by the C# tests).
    b, s, p = 2, 3, 4
    emb = torch.randn(b, s, cfg.lm_dim)
    am = torch.ones(b, p + s, dtype=torch.long)
    am[1, 0] = 0
    pos = torch.arange(p, p + s).unsqueeze(0).repeat(b, 1)
    past = []
    in_names = ["inputs_embeds", "attention_mask", "position_ids"]
    out_names = ["logits"]
    dyn = {"inputs_embeds": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total_sequence"},
           "position_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
    for i in range(cfg.lm_layers):
        for kind in ("key", "value"):
            past.append(torch.randn(b, cfg.lm_heads, p, hd))
            n_in, n_out = f"past_key_values.{i}.{kind}", f"present.{i}.{kind}"
            in_names.append(n_in)
            out_names.append(n_out)
            dyn[n_in] = {0: "batch", 2: "past_sequence"}
            dyn[n_out] = {0: "batch", 2: "total_sequence"}
    path = os.path.join(out, "decoder.onnx")
    torch.onnx.export(DecoderPart(model), (emb, am, pos, *past), path, opset_version=ONNX_OPSET,
                      input_names=in_names, output_names=out_names, dynamic_axes=dyn)
    check(path)
    kv = ["batch", cfg.lm_heads, "past_sequence", hd]
    kv_out = ["batch", cfg.lm_heads, "total_sequence", hd]
    parts["decoder"] = {
        "file": "decoder.onnx",
        "inputs": [
            {"name": "inputs_embeds", "dtype": "float32", "shape": ["batch", "sequence", cfg.lm_dim]},
            {"name": "attention_mask", "dtype": "int64", "shape": ["batch", "total_sequence"]},
            {"name": "position_ids", "dtype": "int64", "shape": ["batch", "sequence"]},
        ] + [{"name": f"past_key_values.{i}.{k}", "dtype": "float32", "shape": kv}
             for i in range(cfg.lm_layers) for k in ("key", "value")],
        "outputs": [{"name": "logits", "dtype": "float32", "shape": ["batch", "sequence", cfg.vocab_size]}]
        + [{"name": f"present.{i}.{k}", "dtype": "float32", "shape": kv_out}
           for i in range(cfg.lm_layers) for k in ("key", "value")],
    }
    for name, info in parts.items():
        info["bytes"] = os.path.getsize(os.path.join(out, info["file"]))
        log(f"exported {info['file']} ({info['bytes'] / 1e6:.2f} MB)")
    return parts


# ---------------------------------------------------------------------------------------------------------------------
# self-checks of the decoder contract (KV cache, zero-length past, left/right padding)

@torch.no_grad()
def verify_decoder_logic(model: ShapesVlm, tok, records: list[dict], root: str, split: int, log):
    model.eval()
    dec = DecoderPart(model)
    cfg = model.cfg
    hd = cfg.lm_dim // cfg.lm_heads
    r = records[0]
    px = preprocess(load_png(os.path.join(root, r["image"]))[None])
    img = model.vision.tail(model.vision.head(px, split), split)
    full = model.vision(px)
    assert torch.allclose(img, full, atol=1e-5), "edge+cloud split differs from the whole vision tower"
    ids = torch.tensor([prompt_ids(tok, r["question"])])
    emb = splice(model, ids, img)
    s = emb.shape[1]
    empty = [torch.zeros(1, cfg.lm_heads, 0, hd) for _ in range(2 * cfg.lm_layers)]
    out0 = dec(emb, torch.ones(1, s, dtype=torch.long), torch.arange(s).unsqueeze(0), *empty)
    # prefill of s-1 tokens then one cached step must equal the full prefill's last row
    a = dec(emb[:, :-1], torch.ones(1, s - 1, dtype=torch.long), torch.arange(s - 1).unsqueeze(0), *empty)
    b = dec(emb[:, -1:], torch.ones(1, s, dtype=torch.long), torch.tensor([[s - 1]]), *a[1:])
    err = (b[0][:, -1] - out0[0][:, -1]).abs().max().item()
    assert err < 1e-4, f"KV-cache step differs from full prefill: {err}"
    # batched decoding with left and right padding must match unbatched decoding
    sub = records[:12]
    px = preprocess(np.stack([load_png(os.path.join(root, x["image"])) for x in sub]))
    single = [greedy_batch(model, tok, px[i:i + 1], [x["question"]], split)[0] for i, x in enumerate(sub)]
    left = greedy_batch(model, tok, px, [x["question"] for x in sub], split, padding="left")
    right = greedy_batch(model, tok, px, [x["question"] for x in sub], split, padding="right")
    assert single == left == right, "padding changes greedy answers"
    log(f"decoder checks passed (zero-length past, KV step max err {err:.2e}, left/right padding agree)")


# ---------------------------------------------------------------------------------------------------------------------
# goldens

@torch.no_grad()
def write_goldens(model: ShapesVlm, tok, records: list[dict], out: str, split: int, log):
    model.eval()
    gdir = os.path.join(out, "golden")
    os.makedirs(gdir, exist_ok=True)
    dec = DecoderPart(model)
    cfg = model.cfg
    hd = cfg.lm_dim // cfg.lm_heads
    wanted = ["caption", "position", "count_color", "exists"]
    picks = []
    for t in wanted:
        picks.append(next(r for r in records if r["template"] == t and r["image"] not in [p["image"] for p in picks]))

    def save(prefix, name, t):
        arr = t.detach().cpu().numpy()
        arr = arr.astype("<f4") if arr.dtype.kind == "f" else arr.astype("<i8")
        fname = f"{prefix}_{name.replace('.', '_')}.bin"
        arr.tofile(os.path.join(gdir, fname))
        return {"file": f"golden/{fname}", "dtype": "float32" if arr.dtype.kind == "f" else "int64",
                "shape": list(arr.shape)}

    samples = []
    for n, r in enumerate(picks):
        pre = f"s{n}"
        tensors = {}
        px = preprocess(load_png(os.path.join(out, r["image"]))[None])
        hs = model.vision.head(px, split)
        ie = model.vision.tail(hs, split)
        ids = torch.tensor([prompt_ids(tok, r["question"])])
        te = model.lm.embed(ids)
        emb = torch.cat([te[:, :1], ie, te[:, 2:]], dim=1)
        s = emb.shape[1]
        am = torch.ones(1, s, dtype=torch.long)
        pos = torch.arange(s).unsqueeze(0)
        empty = [torch.zeros(1, cfg.lm_heads, 0, hd) for _ in range(2 * cfg.lm_layers)]
        pre_out = dec(emb, am, pos, *empty)
        first = int(pre_out[0][0, -1].argmax())
        step_ids = torch.tensor([[first]])
        step_emb = model.lm.embed(step_ids)
        step_am = torch.ones(1, s + 1, dtype=torch.long)
        step_pos = torch.tensor([[s]])
        step_out = dec(step_emb, step_am, step_pos, *pre_out[1:])
        answer = greedy_batch(model, tok, px, [r["question"]], split)[0]
        for name, t in [("pixel_values", px), ("hidden_state", hs), ("image_embeds", ie), ("input_ids", ids),
                        ("token_embeds", te), ("prefill.inputs_embeds", emb), ("prefill.attention_mask", am),
                        ("prefill.position_ids", pos), ("prefill.logits", pre_out[0]),
                        ("decode.input_ids", step_ids), ("decode.inputs_embeds", step_emb),
                        ("decode.attention_mask", step_am), ("decode.position_ids", step_pos),
                        ("decode.logits", step_out[0])]:
            tensors[name] = save(pre, name, t)
        if n == 0:
            for i in range(cfg.lm_layers):
                tensors[f"prefill.present.{i}.key"] = save(pre, f"prefill.present.{i}.key", pre_out[1 + 2 * i])
                tensors[f"prefill.present.{i}.value"] = save(pre, f"prefill.present.{i}.value", pre_out[2 + 2 * i])
        samples.append({
            "image": r["image"], "question": r["question"], "template": r["template"],
            "expected_answer": r["answer"], "prompt_ids": ids[0].tolist(),
            "prompt_tokens": [tok.vocab[i] for i in ids[0].tolist()],
            "image_token_index": 1, "first_generated_id": first,
            "answer_ids": answer, "answer_text": tok.decode(answer), "tensors": tensors,
        })
    doc = {
        "description": "Reference inputs/outputs of every part for a few samples. Raw little-endian, C order. "
                       "prefill.* is the decoder with a zero-length past (past_key_values.* of shape "
                       "[1, heads, 0, head_dim]); decode.* is one step fed with prefill's present.* and the greedy "
                       "first token. token_embeds = embed_tokens(input_ids); prefill.inputs_embeds = token_embeds "
                       "with the [IMG] row (index image_token_index) replaced by all image_embeds rows.",
        "split_layer": split,
        "samples": samples,
    }
    with open(os.path.join(gdir, "golden.json"), "w") as f:
        json.dump(doc, f, indent=1)
    log(f"wrote {len(samples)} golden samples")


# ---------------------------------------------------------------------------------------------------------------------

def model_manifest(cfg: Config, tok, parts: dict, split: int) -> dict:
    hd = cfg.lm_dim // cfg.lm_heads
    return {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "description": "Demo LLaVA-shaped VLM trained on the synthetic shapes-vqa task (see README.md).",
        "parts": parts,
        "image": {
            "size": cfg.image_size,
            "resize": "bilinear to size x size when the input differs; no crop",
            "channel_order": "RGB",
            "layout": "NCHW",
            "value_scale": 1.0 / 255.0,
            "mean": list(MEAN),
            "std": list(STD),
            "formula": "x = (pixel / 255 - mean[c]) / std[c]",
        },
        "vision": {
            "split_layer": split,
            "split_meaning": f"vision_edge runs the patch embedding and ViT blocks 0..{split - 1}; hidden_state is the "
                             f"residual stream entering block {split}",
            "layers": cfg.vit_layers, "heads": cfg.vit_heads, "patch_size": cfg.patch_size,
            "tokens": cfg.vision_tokens, "token_layout": "CLS first, then patches in row-major order",
            "hidden_dim": cfg.vit_dim,
        },
        "language_model": {
            "layers": cfg.lm_layers, "heads": cfg.lm_heads, "head_dim": hd, "hidden_size": cfg.lm_dim,
            "intermediate_size": cfg.lm_mlp, "vocab_size": cfg.vocab_size, "max_positions": cfg.max_positions,
            "rope_theta": cfg.rope_theta, "rms_norm_eps": cfg.rms_eps,
            "padding": "left or right; padded positions get attention_mask 0; position_ids count real tokens only "
                       "(0-based), so left padding uses cumsum(mask)-1 and a decode step uses the row's real length",
        },
        "tokenizer": {
            "type": "wordpiece-whole-words",
            "file": "vocab.txt",
            "lowercase": True,
            "pre_tokenizer": "split on whitespace; every punctuation character is a separate token",
            "bert_options": {"UnknownToken": "[UNK]", "PaddingToken": "[PAD]", "ClassificationToken": "[BOS]",
                             "SeparatorToken": "[SEP]", "MaskingToken": "[MASK]", "ContinuingSubwordPrefix": "##"},
        },
        "special_tokens": {t: tok.id(t) for t in task.SPECIAL_TOKENS},
        "special_token_roles": {"pad": "[PAD]", "unk": "[UNK]", "bos": "[BOS]", "eos": "[EOS]",
                                "separator": "[SEP]", "image": "[IMG]", "mask_unused": "[MASK]"},
        "prompt": {
            "template": PROMPT_TEMPLATE,
            "image_placeholder": "[IMG]",
            "image_placeholder_expands_to": cfg.vision_tokens,
            "how": "ids = [BOS] [IMG] tokenize(question) [SEP]; embed with embed_tokens; replace the single [IMG] row "
                   "by the image_embeds rows (all T tokens, CLS included); the answer follows and ends with [EOS]",
        },
        "generation": {"max_tokens": MAX_NEW_TOKENS, "eos_token_id": tok.id("[EOS]"), "greedy": True},
        "codebooks": [],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), MODEL_NAME))
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--vision-steps", type=int, default=3000)
    ap.add_argument("--vision-batch", type=int, default=48)
    ap.add_argument("--vision-lr-scale", type=float, default=0.1)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--split-layer", type=int, default=1)
    ap.add_argument("--patch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", choices=("bf16", "fp32"), default="fp32",
                    help="matrix products in the training forward passes of every stage (see matmul_precision)")
    ap.add_argument("--eval-images", type=int, default=250)
    ap.add_argument("--eval-per-image", type=int, default=3)
    ap.add_argument("--calib-images", type=int, default=768)
    ap.add_argument("--bench", type=int, default=0, help="time this many training steps and exit")
    ap.add_argument("--skip-train", action="store_true", help="reuse .work/checkpoint.pt")
    ap.add_argument("--vision-only", action="store_true", help="run stage 1 only, save .work/vision.pt, exit")
    ap.add_argument("--load-vision", default="", help="skip stage 1 and load this stage-1 vision checkpoint")
    ap.add_argument("--load-stage2", default="", help="skip stages 1-2 and load this stage-2 checkpoint")
    ap.add_argument("--retrieval-weight", type=float, default=0.3,
                    help="stages 2-4: weight of the loss that teaches one LM head to look objects up by shape (0 = off)")
    ap.add_argument("--retrieval-layer", type=int, default=1, help="LM layer whose head 0 the retrieval loss trains")
    ap.add_argument("--extra-steps", type=int, default=0,
                    help="stage 3: a second VQA cycle (off by default since the retrieval loss; it gave 90.1 -> 92.8 %% before)")
    ap.add_argument("--extra-lr", type=float, default=6e-4)
    ap.add_argument("--extra-vision-lr-scale", type=float, default=0.5,
                    help="ViT learning-rate scale in stage 3 (stage 2 uses --vision-lr-scale)")
    ap.add_argument("--load-stage3", default="", help="skip stages 1-3 and load this stage-3 checkpoint")
    ap.add_argument("--robust-steps", type=int, default=800,
                    help="stage 4: steps that teach the model to read vector-quantized split tensors (0 = none)")
    ap.add_argument("--robust-lr", type=float, default=5e-4)
    ap.add_argument("--robust-clean-fraction", type=float, default=0.1,
                    help="stage 4: share of images whose split tensor stays unquantized")
    ap.add_argument("--robust-refit-every", type=int, default=100)
    ap.add_argument("--robust-rates", default="2x128,2x256",
                    help="stage 4: quantizer rates as STAGESxCENTROIDS, comma separated; each image draws one")
    ap.add_argument("--robust-alignment", choices=("norm", "pos"), default="pos",
                    help="stage 4: per-token statistics and centering (norm) or per-position means (pos) before k-means")
    ap.add_argument("--robust-commitment-rate", type=int, default=1,
                    help="stage 4: index into --robust-rates of the quantizer the commitment loss pulls towards")
    ap.add_argument("--robust-commitment", type=float, default=0.25,
                    help="stage 4: > 0 trains the edge half too, with this weight on a commitment loss towards its "
                         "vector-quantized reconstruction (features that quantize well); 0 freezes the edge")
    ap.add_argument("--commit-steps", type=int, default=800,
                    help="stage 5: steps that go on from stage 4 with a stronger commitment loss (0 = none)")
    ap.add_argument("--commit-lr", type=float, default=3e-4)
    ap.add_argument("--commit-weight", type=float, default=1.0,
                    help="stage 5: weight of the commitment loss (stage 4 uses --robust-commitment)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(TRAIN_SEED)
    np.random.seed(TRAIN_SEED)
    random.seed(TRAIN_SEED)

    out = os.path.abspath(args.out)
    work = os.path.join(out, ".work")
    os.makedirs(work, exist_ok=True)
    log_file = open(os.path.join(work, "train.log"), "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    vocab = task.build_vocab()
    tok = task.WordTokenizer(vocab)
    cfg = Config(vocab_size=len(vocab), patch_size=args.patch_size)
    if not 1 <= args.split_layer < cfg.vit_layers:
        sys.exit(f"--split-layer must be in 1..{cfg.vit_layers - 1}")
    model = ShapesVlm(cfg)
    log(f"params: vision {sum(p.numel() for p in model.vision.parameters())}, "
        f"lm {sum(p.numel() for p in model.lm.parameters())}; config {cfg.to_dict()}")

    ckpt = os.path.join(work, "checkpoint.pt")
    if args.bench:
        args.steps = args.bench
        if args.vision_steps:
            pretrain_vision(model, args, log)
        train(model, tok, args, log, args.steps, args.lr, args.warmup, TRAIN_SEED, args.vision_lr_scale)
        quick = write_eval_set(os.path.join(work, "quick"), 100, 3)
        r = evaluate(model, tok, quick, os.path.join(work, "quick"), args.split_layer)
        log(f"quick eval {r['overall']} { {t: v['accuracy'] for t, v in r['per_template'].items()} }")
        return
    if args.skip_train:
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        stats = state["stats"]
    else:
        if args.load_stage2 or args.load_stage3:
            vision_seconds = 0.0
        elif args.load_vision:
            state = torch.load(args.load_vision)
            model.vision.load_state_dict(state["vision"])
            vision_seconds = state["seconds"]
        else:
            vision_seconds = pretrain_vision(model, args, log) if args.vision_steps else 0.0
        if args.vision_only:
            torch.save({"vision": model.vision.state_dict(), "seconds": vision_seconds}, os.path.join(work, "vision.pt"))
            return
        if args.load_stage2 or args.load_stage3:
            state = torch.load(args.load_stage3 or args.load_stage2)
            model.load_state_dict(state["model"])
            stats = state["stats"]
        else:
            stats = train(model, tok, args, log, args.steps, args.lr, args.warmup, TRAIN_SEED, args.vision_lr_scale)
            stats.update({"vision_pretrain_seconds": vision_seconds, "vision_pretrain_steps": args.vision_steps,
                          "vqa_steps": stats["steps"], "vqa_seconds": stats["train_seconds"], "precision": args.precision,
                          "train_seconds": round(stats["train_seconds"] + vision_seconds, 1)})
            torch.save({"model": model.state_dict(), "config": cfg.to_dict(), "stats": stats},
                       os.path.join(work, "checkpoint_stage2.pt"))
        if args.extra_steps and not args.load_stage3:
            # Stage 3: a second, lower cosine cycle on a fresh data stream; the slowest skills (retrieval keyed on
            # the shape word, reading an object's cell) keep improving long after the others have converged.
            extra = train(model, tok, args, log, args.extra_steps, args.extra_lr, 50, TRAIN_SEED + 2,
                          args.extra_vision_lr_scale)
            stats.update({"extra_steps": extra["steps"], "extra_seconds": extra["train_seconds"],
                          "final_loss_ema": extra["final_loss_ema"],
                          "train_seconds": round(stats["train_seconds"] + extra["train_seconds"], 1)})
            torch.save({"model": model.state_dict(), "config": cfg.to_dict(), "stats": stats},
                       os.path.join(work, "checkpoint_stage3.pt"))
        if args.robust_steps:
            # Stage 4: training goes on with a mix of clean and vector-quantized split tensors, so that low-rate frames
            # cost little accuracy; the edge half trains under a commitment loss, or is frozen when its weight is 0.
            if args.robust_commitment <= 0:
                freeze_edge(model, args.split_layer)
            robust = train_split_robust(model, tok, args, log, args.robust_steps, args.robust_lr, args.robust_commitment)
            stats.update({"robust_steps": robust["steps"], "robust_seconds": robust["train_seconds"],
                          "robust_clean_fraction": args.robust_clean_fraction,
                          "robust_rates": [list(r) for r in parse_rates(args.robust_rates)],
                          "robust_alignment": args.robust_alignment, "final_loss_ema": robust["final_loss_ema"],
                          "train_seconds": round(stats["train_seconds"] + robust["train_seconds"], 1)})
        if args.robust_steps and args.commit_steps and args.commit_weight > 0:
            # Stage 5: stage 4 again (the same scenes and quantizer refits, a fresh optimizer at a lower peak) with a
            # four times stronger pull of the edge features towards their quantized reconstruction. Features that sit
            # closer to the centroids lose less when the codec stops a token early, and the cloud half keeps adapting.
            commit = train_split_robust(model, tok, args, log, args.commit_steps, args.commit_lr, args.commit_weight)
            stats.update({"commit_steps": commit["steps"], "commit_seconds": commit["train_seconds"],
                          "commit_weight": args.commit_weight, "final_loss_ema": commit["final_loss_ema"],
                          "train_seconds": round(stats["train_seconds"] + commit["train_seconds"], 1)})
        torch.save({"model": model.state_dict(), "config": cfg.to_dict(), "stats": stats}, ckpt)
        log(f"training done: {stats}")

    for sub in ("eval", "calib", "golden"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    with open(os.path.join(out, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    records = write_eval_set(out, args.eval_images, args.eval_per_image)
    write_calib_set(out, args.calib_images)
    verify_decoder_logic(model, tok, records, out, args.split_layer, log)
    parts = export_onnx(model, out, args.split_layer, log)
    write_goldens(model, tok, records, out, args.split_layer, log)
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(model_manifest(cfg, tok, parts, args.split_layer), f, indent=2)
    t0 = time.time()
    report = evaluate(model, tok, records, out, args.split_layer)
    report.update({
        "metric": "greedy exact match of the decoded answer text (tokens joined by single spaces)",
        "eval_seconds": round(time.time() - t0, 1),
        "train_seconds": stats["train_seconds"], "final_loss_ema": stats["final_loss_ema"],
        "stages": {k: v for k, v in stats.items() if k not in ("train_seconds", "final_loss_ema", "steps")},
        "batch_images": args.batch, "peak_lr": args.lr, "vision_lr_scale": args.vision_lr_scale,
        "vision_batch_images": args.vision_batch, "retrieval_weight": args.retrieval_weight,
        "retrieval_layer": args.retrieval_layer, "seed": TRAIN_SEED, "eval_seed": EVAL_SEED,
        "calib_seed": CALIB_SEED, "threads": args.threads, "torch": torch.__version__,
    })
    with open(os.path.join(out, "eval_report.json"), "w") as f:
        json.dump(report, f, indent=2)
    log(f"eval overall {report['overall']} per template "
        f"{ {t: v['accuracy'] for t, v in report['per_template'].items()} }")


if __name__ == "__main__":
    main()
