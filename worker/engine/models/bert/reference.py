"""Regenerates the fixture of bert.test.ts: a tiny random BertForSequenceClassification and the
logits Hugging Face transformers computes for it.

    /root/torchenv/bin/pip install torch transformers safetensors
    /root/torchenv/bin/python worker/engine/models/bert/reference.py

writes worker/engine/models/bert/fixture/{config.json, model.safetensors} (save_pretrained) and
expected.json: token ids with padding (pad id 0, as BERT's tokenizer pads), the attention mask
derived from them (ids != 0, what the TypeScript model derives from padId), the eval-mode logits
and the parameter count. CI has no torch: the test reads only these committed files.
"""
import json
import pathlib

import torch
import transformers
from transformers import BertConfig, BertForSequenceClassification

HERE = pathlib.Path(__file__).resolve().parent
FIXTURE = HERE / "fixture"


def main():
    torch.manual_seed(15)
    config = BertConfig(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        type_vocab_size=2,
        hidden_act="gelu",
        num_labels=3,
        pad_token_id=0,
        # BERT's 0.02 makes a tiny random model map every input to nearly the same logits; wider
        # weights make each row (and any mistake) show in them.
        initializer_range=0.3,
        attn_implementation="eager",
    )
    model = BertForSequenceClassification(config).eval()
    # The default init draws biases and LayerNorm at 0 and 1: perturb them so that a bias or
    # norm parameter mapped to the wrong place changes the logits.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or "LayerNorm" in name:
                p.add_(torch.randn_like(p) * 0.1)
    FIXTURE.mkdir(exist_ok=True)
    model.save_pretrained(FIXTURE, safe_serialization=True)

    ids = torch.tensor(
        [
            [2, 17, 45, 8, 91, 33, 3, 0, 0, 0, 0, 0],
            [2, 5, 98, 64, 12, 7, 77, 23, 54, 61, 19, 3],
            [2, 40, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ]
    )
    mask = (ids != config.pad_token_id).long()
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
    expected = {
        "generated_by": f"worker/engine/models/bert/reference.py (torch {torch.__version__}, transformers {transformers.__version__})",
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "logits": logits.tolist(),
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    (FIXTURE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(json.dumps({k: expected[k] for k in ("generated_by", "parameters")}))
    print("logits", logits)


if __name__ == "__main__":
    main()
