"""The LoRA trainer, for real on the embedded model: a few steps on tiny examples."""

from __future__ import annotations

import json

import pytest

from parser_service.backends.base import GenerationRequest
from parser_service.settings import Settings
from parser_service.training.trainer import CARD, TrainConfig, encode, read_jsonl, split, train

pytestmark = pytest.mark.model


def _rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        text = f"Invoice INV-{100 + i}\nFrom: Shop {i} Ltd\nTotal: {i}.50 EUR"
        rows.append({
            "plugin": "invoices",
            "source": "synthetic",
            "messages": [{"role": "system", "content": "Answer with JSON only."}, {"role": "user", "content": text}],
            "answer": json.dumps({"invoice_number": f"INV-{100 + i}"}, separators=(",", ":")),
        })
    return rows


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train")
    data = folder / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _rows(12)), encoding="utf-8")
    config = TrainConfig(plugin="invoices", data=data, out=folder / "adapter", max_steps=6, eval_every=3,
                         batch_size=4, lr=2e-3, val_fraction=0.25)
    return config, train(config, Settings(threads=2))


def test_training_saves_a_small_fp16_adapter_with_a_card_and_lowers_the_loss(trained):
    config, result = trained
    out = config.out
    assert result.steps == 6 and result.examples["train"] == 9 and result.examples["val"] == 3
    assert result.history[-1]["val_loss"] < result.history[0]["val_loss"]
    from safetensors import safe_open

    with safe_open(str(out / "adapter_model.safetensors"), "pt") as weights:
        tensors = {k: weights.get_tensor(k) for k in weights.keys()}  # noqa: SIM118
    assert tensors and all(str(t.dtype) == "torch.float16" for t in tensors.values())
    assert any(float(t.abs().sum()) > 0 for k, t in tensors.items() if "lora_B" in k)  # it learned something
    assert result.size_bytes < 10 * 1024 * 1024
    card = json.loads((out / CARD).read_text())
    assert card["plugin"] == "invoices" and card["base_model"] and card["metrics"]["val_loss"] == result.val_loss
    assert (out / "adapter_config.json").is_file()


def test_the_backend_loads_the_adapter_and_it_makes_the_trained_answer_likelier(trained, pipeline):
    config, _ = trained
    backend = pipeline.backend
    row = _rows(1)[0]
    prompt = backend.prompt_text(GenerationRequest(row["messages"], {}, 1))

    def answer_logprob(adapter):
        backend._activate_adapter(adapter)
        return sum(t.logprob for t in backend.score(prompt, row["answer"]))

    base, tuned = answer_logprob(None), answer_logprob(config.out)
    backend._activate_adapter(None)
    assert tuned > base + 1.0, (base, tuned)


def test_rows_are_read_checked_and_split_deterministically(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": []}\n', encoding="utf-8")
    from parser_service.errors import ConfigError

    with pytest.raises(ConfigError, match="needs 'messages' and 'answer'"):
        read_jsonl(bad)
    rows = [{"i": i} for i in range(20)]
    a, b = split(rows, 0.2, seed=1)
    assert len(b) == 4 and split(rows, 0.2, seed=1) == (a, b) and not {r["i"] for r in a} & {r["i"] for r in b}


def test_loss_is_taken_on_the_answer_only(pipeline):
    tokenizer = pipeline.backend.tokenizer
    example = encode(tokenizer, _rows(1)[0], 2048)
    answer_tokens = [t for t in example.labels if t != -100]
    assert tokenizer.decode(answer_tokens[:-1]) == _rows(1)[0]["answer"]
    assert answer_tokens[-1] == tokenizer.eos_token_id
    assert encode(tokenizer, _rows(1)[0], 10) is None
