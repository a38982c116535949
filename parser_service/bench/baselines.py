"""What the pipeline is compared with, on the same prompts and the same loaded model.

- ``raw_greedy``: plain greedy generation at batch 1 with transformers, no grammar,
  no log probabilities: the machine's speed limit for this model.
- ``naive``: what a user would write instead: unconstrained generation, ``json.loads``
  and a schema check, and up to three re-asks (the bad answer and the error sent
  back) when it fails.
- ``vllm_offline``: vLLM's own ``LLM.generate`` on the same prompts with the same
  structured-output parameters, called directly: the ceiling of the ``vllm`` backend.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from parser_service.backends.base import Generation, GenerationRequest, Message
from parser_service.bench.measure import Timing, is_valid

#: Re-asks the naive approach allows itself after a failed answer.
NAIVE_REASKS = 3


def raw_greedy(backend: Any, requests: Sequence[GenerationRequest], max_new_tokens: int) -> Timing:
    """``backend`` is a TransformersBackend; its model generates with no constraint."""
    out_tokens, started = 0, time.perf_counter()
    for request in requests:
        out_tokens += len(_generate_free(backend, request.messages, max_new_tokens))
    return Timing(len(requests), 0, out_tokens, time.perf_counter() - started)


def naive(backend: Any, requests: Sequence[GenerationRequest], targets: Sequence[type[BaseModel]]) -> Timing:
    """Valid records per second of generate → json.loads → validate → re-ask. An answer
    is valid when the plugin's target model (``targets``, one per request) accepts it,
    with its normalisers ("1.234,56 €" is an amount): more lenient than the pipeline's
    own check, the schema of the grammar."""
    valid = out_tokens = 0
    started = time.perf_counter()
    for request, target in zip(requests, targets):
        messages = list(request.messages)
        for _ in range(1 + NAIVE_REASKS):
            ids = _generate_free(backend, messages, request.max_new_tokens)
            out_tokens += len(ids)
            text = backend.tokenizer.decode(ids, skip_special_tokens=True).strip()
            problem = _problem(text, target)
            if problem is None:
                valid += 1
                break
            messages += [
                {"role": "assistant", "content": text},
                {"role": "user", "content": f"That is not valid: {problem}. Answer with the JSON object only."},
            ]
    return Timing(len(requests), valid, out_tokens, time.perf_counter() - started)


def _problem(text: str, target: type[BaseModel]) -> str | None:
    answer = Generation.from_text(_strip_fence(text), 0)
    if not isinstance(answer.data, dict):
        return "it is not a JSON object"
    try:
        target.model_validate(answer.data)
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
    return None


def _strip_fence(text: str) -> str:
    """A user would at least strip a Markdown code fence."""
    if text.startswith("```"):
        text = text.split("\n", 1)[-1].rsplit("```", 1)[0]
    return text.strip()


def _generate_free(backend: Any, messages: list[Message], max_new_tokens: int) -> list[int]:
    import torch

    prompt = backend.tokens.prompt(messages)
    ids = backend.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        out = backend.model.generate(
            ids.to(backend.model.device),
            attention_mask=torch.ones_like(ids).to(backend.model.device),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=backend.tokenizer.eos_token_id,
        )
    return [int(t) for t in out[0, ids.shape[1] :]]


def vllm_offline(backend: Any, requests: Sequence[GenerationRequest]) -> Timing:
    """``backend`` is a VllmBackend: its engine, called directly, all requests at once."""
    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    prompts = [backend.tokens.prompt(r.messages) for r in requests]
    params = [
        SamplingParams(
            temperature=0.0,
            max_tokens=r.max_new_tokens,
            structured_outputs=StructuredOutputsParams(json=r.schema),
        )
        for r in requests
    ]
    loras = [backend.lora_request(r.adapter) for r in requests]
    started = time.perf_counter()
    outputs = backend.llm.generate(prompts, sampling_params=params, lora_request=loras, use_tqdm=False)
    seconds = time.perf_counter() - started
    texts = [o.outputs[0].text for o in outputs]
    valid = sum(
        is_valid(Generation.from_text(t, 0), r.schema) for t, r in zip(texts, requests)
    )
    return Timing(len(requests), valid, sum(len(o.outputs[0].token_ids) for o in outputs), seconds)
