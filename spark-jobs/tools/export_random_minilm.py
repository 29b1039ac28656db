#!/usr/bin/env python3
"""Export a random-weight encoder shaped like paraphrase-multilingual-MiniLM-L12-v2 to ONNX.

Why: the benchmark (`./reco bench embed`) needs a model of real size to measure items/s, and no real
weights can be downloaded here. Speed depends on the architecture and the shapes, not on the weights, so
a BERT-architecture graph with the same dimensions costs what the real model costs. Its embeddings mean
nothing: never use it for recommendations.

Plain PyTorch (no transformers package): 12 post-LN layers, hidden 384, 12 heads, intermediate 1536,
GELU, vocabulary 250002, 512 positions, 2 token types. ONNX inputs input_ids and attention_mask
(int64 [batch, seq], dynamic), output last_hidden_state [batch, seq, 384].

Usage: /usr/bin/python3 spark-jobs/tools/export_random_minilm.py .reco/encoders/minilm-l12-random
"""
import json
import math
import pathlib
import shutil
import sys

import torch
from torch import nn

VOCAB = 250002
HIDDEN = 384
LAYERS = 12
HEADS = 12
INTERMEDIATE = 1536
MAX_POSITIONS = 512
TOKEN_TYPES = 2
LAYER_NORM_EPS = 1e-12
OPSET = 14

REPO = pathlib.Path(__file__).resolve().parents[2]
SENTENCEPIECE = REPO / "tests" / "fixtures" / "encoders" / "xlmr-sentencepiece" / "sentencepiece.bpe.model"


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(HIDDEN, HIDDEN)
        self.key = nn.Linear(HIDDEN, HIDDEN)
        self.value = nn.Linear(HIDDEN, HIDDEN)
        self.output = nn.Linear(HIDDEN, HIDDEN)
        self.head_size = HIDDEN // HEADS

    def split(self, x):
        batch, seq, _ = x.shape
        return x.view(batch, seq, HEADS, self.head_size).transpose(1, 2)

    def forward(self, x, additive_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + additive_mask
        context = torch.matmul(torch.softmax(scores, dim=-1), v)
        batch, _, seq, _ = context.shape
        return self.output(context.transpose(1, 2).reshape(batch, seq, HIDDEN))


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = SelfAttention()
        self.attention_norm = nn.LayerNorm(HIDDEN, eps=LAYER_NORM_EPS)
        self.intermediate = nn.Linear(HIDDEN, INTERMEDIATE)
        self.output = nn.Linear(INTERMEDIATE, HIDDEN)
        self.output_norm = nn.LayerNorm(HIDDEN, eps=LAYER_NORM_EPS)
        self.gelu = nn.GELU()

    def forward(self, x, additive_mask):
        # Post-LN as in BERT: normalise after each residual sum.
        x = self.attention_norm(x + self.attention(x, additive_mask))
        return self.output_norm(x + self.output(self.gelu(self.intermediate(x))))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.words = nn.Embedding(VOCAB, HIDDEN)
        self.positions = nn.Embedding(MAX_POSITIONS, HIDDEN)
        self.token_types = nn.Embedding(TOKEN_TYPES, HIDDEN)
        self.embedding_norm = nn.LayerNorm(HIDDEN, eps=LAYER_NORM_EPS)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))

    def forward(self, input_ids, attention_mask):
        seq = input_ids.shape[1]
        positions = torch.arange(seq, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        # Token type 0 everywhere, as sentence encoders feed single sentences.
        x = self.words(input_ids) + self.positions(positions) + self.token_types.weight[0]
        x = self.embedding_norm(x)
        additive_mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, additive_mask)
        return x


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = Encoder().eval()
    # BERT's initialisation, so activations stay in the range a trained model's do.
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.bias)

    ids = torch.randint(4, 1000, (2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        torch.onnx.export(
            model, (ids, mask), str(out / "model.onnx"),
            input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                          "last_hidden_state": {0: "batch", 1: "seq"}},
            opset_version=OPSET, do_constant_folding=True)
    shutil.copyfile(SENTENCEPIECE, out / "sentencepiece.bpe.model")
    (out / "encoder.json").write_text(json.dumps(
        {"family": "xlmr-sentencepiece", "pooling": "mean", "normalize": True, "maxLength": 128}, indent=2) + "\n")
    parameters = sum(p.numel() for p in model.parameters())
    size = (out / "model.onnx").stat().st_size
    print(f"wrote {out}: model.onnx ({size / 1e6:.0f} MB, {parameters / 1e6:.1f} M parameters), sentencepiece.bpe.model, encoder.json")


if __name__ == "__main__":
    main()
