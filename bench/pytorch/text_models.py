"""PyTorch side of `npm run bench -- text-models`: the `embedding-bag` and `transformer` models
written as the TypeScript ones are (worker/engine/models/embedding-bag.ts, transformer.ts), and
BertForSequenceClassification for `bert` when transformers is installed.

    python text_models.py count VOCAB LENGTH CLASSES   prints each model's parameter count (JSON)
    python text_models.py MODEL THREADS BATCH LENGTH VOCAB CLASSES
        serves the benchmark: one JSON line when ready, then per `run SECONDS` line one JSON line
        of training samples/s (SGD, cross-entropy, loss read each step like the engine); `quit`.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from blocks import serve_blocks

PAD = 0


class EmbeddingBagClassifier(nn.Module):
    """Mean of the token embeddings over non-padding tokens, then a Linear (fastText)."""

    def __init__(self, vocab, classes, dim=64):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab, dim, mode="mean", padding_idx=PAD)
        self.classifier = nn.Linear(dim, classes)

    def forward(self, ids):
        return self.classifier(self.embedding(ids))


class TransformerClassifier(nn.Module):
    """Token + learned position embeddings, dropout, pre-LN encoder layers (ReLU), final LayerNorm,
    mean over non-padding tokens, Linear."""

    def __init__(self, vocab, length, classes, layers=2, dim=128, heads=4, feedforward=512, dropout=0.1):
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Embedding(length, dim)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(dim, heads, feedforward, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(dim), enable_nested_tensor=False)
        self.classifier = nn.Linear(dim, classes)

    def forward(self, ids):
        pad = ids == PAD
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.dropout(self.tokens(ids) + self.positions(positions))
        x = self.encoder(x, src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1)
        return self.classifier(pooled)


def bert(vocab, length, classes):
    """The engine's random `bert` size (catalog BERT_RANDOM: BERT-Tiny) as transformers builds it."""
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(vocab_size=vocab, hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512, num_labels=classes, attn_implementation="eager")
    model = BertForSequenceClassification(config)
    return lambda ids: model(input_ids=ids, attention_mask=(ids != PAD).long()).logits, model


def build(name, vocab, length, classes):
    if name == "embedding-bag":
        m = EmbeddingBagClassifier(vocab, classes)
        return m, m
    if name == "transformer":
        m = TransformerClassifier(vocab, length, classes)
        return m, m
    if name == "bert":
        return bert(vocab, length, classes)
    raise SystemExit(f"unknown model {name}")


def count(vocab, length, classes):
    out = {}
    for name in ("embedding-bag", "transformer"):
        _, module = build(name, vocab, length, classes)
        out[name] = sum(p.numel() for p in module.parameters())
    print(json.dumps({"torch": torch.__version__, "vocab": vocab, "length": length, "classes": classes, "parameters": out}))


def serve(name, threads, batch, length, vocab, classes):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    try:
        forward, module = build(name, vocab, length, classes)
    except ImportError as err:
        print(json.dumps({"unavailable": str(err)}), flush=True)
        return
    module.train()
    opt = torch.optim.SGD(module.parameters(), lr=0.01)
    # Random ids with a padded tail of varying length, as real texts are.
    ids = torch.randint(1, vocab, (batch, length))
    for i in range(batch):
        ids[i, length - (i * 7) % (length // 2):] = PAD
    y = torch.arange(batch) % classes

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(forward(ids), y)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(2):
        step()
    serve_blocks(step, batch, {"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": batch})

if __name__ == "__main__":
    if sys.argv[1] == "count":
        count(*map(int, sys.argv[2:5]))
    else:
        serve(sys.argv[1], *map(int, sys.argv[2:7]))
