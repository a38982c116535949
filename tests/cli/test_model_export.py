"""``parser-service model export``: the embedded model as a folder a vLLM server loads."""

from __future__ import annotations

import json

import pytest

from parser_service.cli.entry import main


@pytest.mark.model  # converts the embedded model when the cache has none
def test_export_writes_a_hugging_face_folder_without_the_gguf_flag(tmp_path, capsys):
    target = tmp_path / "models" / "base"
    assert main(["model", "export", str(target)]) == 0
    assert json.loads(capsys.readouterr().out) == {"model": "embedded", "folder": str(target)}
    config = json.loads((target / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    assert (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file()
    stamp = (target / "config.json").stat().st_mtime_ns
    assert main(["model", "export", str(target)]) == 0  # a second export keeps what is there
    assert (target / "config.json").stat().st_mtime_ns == stamp
