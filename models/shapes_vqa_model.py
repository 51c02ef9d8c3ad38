"""A small LLaVA-shaped model: pre-LN ViT -> 2-layer MLP projector -> decoder-only LM (RMSNorm, RoPE, SwiGLU).

The attention modules take an explicit boolean "allowed" mask so that training (packed question/answer segments
sharing one image prefix) and the exported decoder (causal mask combined with a padding mask) share the same code.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

NEG_INF = -1e9  # finite so that a fully masked row (a padding query) gives a uniform softmax, not NaN


@dataclass
class Config:
    image_size: int = 96
    patch_size: int = 8
    vit_dim: int = 128
    vit_heads: int = 4
    vit_layers: int = 4
    vit_mlp: int = 512
    lm_dim: int = 192
    lm_heads: int = 4
    lm_layers: int = 4
    lm_mlp: int = 512
    vocab_size: int = 64
    max_positions: int = 512
    rope_theta: float = 10000.0
    rms_eps: float = 1e-6
    ln_eps: float = 1e-5

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    @property
    def vision_tokens(self) -> int:
        return self.num_patches + 1  # CLS + patches

    def to_dict(self) -> dict:
        return asdict(self)


class VitAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.softmax((q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim)), dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, t, d))


class VitBlock(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.vit_dim, eps=cfg.ln_eps)
        self.attn = VitAttention(cfg.vit_dim, cfg.vit_heads)
        self.ln2 = nn.LayerNorm(cfg.vit_dim, eps=cfg.ln_eps)
        self.mlp = nn.Sequential(nn.Linear(cfg.vit_dim, cfg.vit_mlp), nn.GELU(), nn.Linear(cfg.vit_mlp, cfg.vit_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class VisionTower(nn.Module):
    """ViT plus projector; split into embed_head(k) (edge) and tail(k) (cloud)."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.patch = nn.Conv2d(3, cfg.vit_dim, kernel_size=cfg.patch_size, stride=cfg.patch_size)
        self.cls = nn.Parameter(torch.zeros(1, 1, cfg.vit_dim))
        self.pos = nn.Parameter(torch.randn(1, cfg.vision_tokens, cfg.vit_dim) * 0.02)
        self.blocks = nn.ModuleList([VitBlock(cfg) for _ in range(cfg.vit_layers)])
        self.ln_post = nn.LayerNorm(cfg.vit_dim, eps=cfg.ln_eps)
        self.projector = nn.Sequential(nn.Linear(cfg.vit_dim, cfg.lm_dim), nn.GELU(), nn.Linear(cfg.lm_dim, cfg.lm_dim))

    def head(self, pixels: torch.Tensor, split: int) -> torch.Tensor:
        x = self.patch(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        for blk in self.blocks[:split]:
            x = blk(x)
        return x

    def tail_blocks(self, x: torch.Tensor, split: int) -> torch.Tensor:
        for blk in self.blocks[split:]:
            x = blk(x)
        return x

    def tail(self, x: torch.Tensor, split: int) -> torch.Tensor:
        return self.projector(self.ln_post(self.tail_blocks(x, split)))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.tail(self.head(pixels, 0), 0)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Rotary(nn.Module):
    """RoPE (rotate-half convention): cos/sin from integer positions, [B,S] -> [B,1,S,head_dim]."""

    def __init__(self, head_dim: int, theta: float):
        super().__init__()
        inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, position_ids: torch.Tensor):
        freqs = position_ids.to(torch.float32).unsqueeze(-1) * self.inv_freq
        emb = torch.cat([freqs, freqs], dim=-1).unsqueeze(1)
        return emb.cos(), emb.sin()


class LmAttention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.heads = cfg.lm_heads
        self.head_dim = cfg.lm_dim // cfg.lm_heads
        self.q = nn.Linear(cfg.lm_dim, cfg.lm_dim, bias=False)
        self.k = nn.Linear(cfg.lm_dim, cfg.lm_dim, bias=False)
        self.v = nn.Linear(cfg.lm_dim, cfg.lm_dim, bias=False)
        self.o = nn.Linear(cfg.lm_dim, cfg.lm_dim, bias=False)
        # Training only: when set, forward keeps its attention probabilities [B, heads, S, P+S] in `last_attention`
        # for the retrieval loss (see train_shapes_vqa.retrieval_loss). Never set during export.
        self.keep_attention = False
        self.last_attention = None

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        b, s, d = x.shape
        q = self.q(x).reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(x).reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        v = self.v(x).reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        scores = scores.masked_fill(~allowed, NEG_INF)
        att = torch.softmax(scores, dim=-1)
        if self.keep_attention:
            self.last_attention = att
        out = att @ v
        return self.o(out.transpose(1, 2).reshape(b, s, d)), k, v


class LmBlock(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.norm1 = RMSNorm(cfg.lm_dim, cfg.rms_eps)
        self.attn = LmAttention(cfg)
        self.norm2 = RMSNorm(cfg.lm_dim, cfg.rms_eps)
        self.gate = nn.Linear(cfg.lm_dim, cfg.lm_mlp, bias=False)
        self.up = nn.Linear(cfg.lm_dim, cfg.lm_mlp, bias=False)
        self.down = nn.Linear(cfg.lm_mlp, cfg.lm_dim, bias=False)

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        a, k, v = self.attn(self.norm1(x), cos, sin, allowed, past_k, past_v)
        x = x + a
        h = self.norm2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h)), k, v


class LanguageModel(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.lm_dim)
        self.rotary = Rotary(cfg.lm_dim // cfg.lm_heads, cfg.rope_theta)
        self.layers = nn.ModuleList([LmBlock(cfg) for _ in range(cfg.lm_layers)])
        self.norm = RMSNorm(cfg.lm_dim, cfg.rms_eps)
        self.lm_head = nn.Linear(cfg.lm_dim, cfg.vocab_size, bias=False)

    def forward(self, inputs_embeds, position_ids, allowed, past=None):
        """allowed: bool [B,1,S,P+S]; past: list of (k, v) or None. Returns logits and the new (k, v) per layer."""
        cos, sin = self.rotary(position_ids)
        x = inputs_embeds
        presents = []
        for i, layer in enumerate(self.layers):
            pk, pv = (past[i] if past is not None else (None, None))
            x, k, v = layer(x, cos, sin, allowed, pk, pv)
            presents.append((k, v))
        return self.lm_head(self.norm(x)), presents


def decoder_allowed(attention_mask: torch.Tensor, query_len: int) -> torch.Tensor:
    """Causal mask (query i sits at absolute index P+i of the P+S keys) AND the 0/1 padding mask -> [B,1,S,P+S]."""
    total = attention_mask.shape[1]
    key_idx = torch.arange(total, device=attention_mask.device)
    query_idx = torch.arange(query_len, device=attention_mask.device) + (total - query_len)
    causal = key_idx.unsqueeze(0) <= query_idx.unsqueeze(1)
    return causal.unsqueeze(0).unsqueeze(0) & (attention_mask > 0).unsqueeze(1).unsqueeze(2)


class ShapesVlm(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.vision = VisionTower(cfg)
        self.lm = LanguageModel(cfg)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)
