#!/usr/bin/env python3
"""PyTorch + HF transformers figures for the same shapes and steps as `minitron4j bench`, measured in
the same device session as the TornadoVM run (issue 13 compares the two as ratios):

- kd_step: the KD step BackendBench times: teacher forward (no grad), student forward, KL at tau 1
  (times tau^2, mean over tokens), backward, clip_grad_norm_(1.0), AdamW, zero_grad; batch 8 x 512 at
  the anchor shape;
- teacher_forward: the teacher's forward alone;
- decode: HF generate (greedy, batch 1, a 16-token prompt, 32 new tokens, KV cache), new tokens/s;
- matmul: torch.matmul (cuBLAS) TFLOP/s at n x n x n and at the products of a linear layer of the
  anchor teacher ([B*T, hidden] x [hidden, ffn]), the figure next to which the Java kernels' TFLOP/s go.

Each is run in fp32 with eager attention (TF32 off: what the fp32 Java kernels compute) and in bf16
autocast with SDPA (PyTorch's fast path). One JSON object per line on stdout; progress on stderr.
  python3 pytorch_baseline.py [--device cuda|cpu] [--shape anchor|tiny] [--steps N] [--matmul N]
`--shape tiny --device cpu` is a rehearsal that runs anywhere in seconds.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F
from transformers import NemotronConfig, NemotronForCausalLM

# (hidden, layers, heads, kv heads, head_dim, ffn, vocab): BenchShape.ANCHOR / TINY in experiments/bench
SHAPES = {
    "anchor": {"teacher": (1024, 12, 16, 8, 64, 4096, 32000), "student": (768, 12, 12, 6, 64, 2048, 32000),
               "batch": 8, "seq": 512},
    "tiny": {"teacher": (64, 2, 4, 2, 16, 256, 256), "student": (48, 2, 3, 1, 16, 128, 256), "batch": 2, "seq": 16},
}


def config(dims, attn):
    hidden, layers, heads, kv, head_dim, ffn, vocab = dims
    c = NemotronConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                       num_key_value_heads=kv, head_dim=head_dim, intermediate_size=ffn, vocab_size=vocab,
                       max_position_embeddings=4096, tie_word_embeddings=False)
    c._attn_implementation = attn
    return c


def model(dims, attn, device):
    torch.manual_seed(0)
    return NemotronForCausalLM(config(dims, attn)).to(device)


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def timed(fn, device, repeats):
    """Median seconds of repeats calls after one untimed call."""
    fn()
    sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def emit(**record):
    print(json.dumps(record), flush=True)


def modes(device):
    yield "fp32", "eager", None
    if device == "cuda":
        yield "bf16", "sdpa", torch.bfloat16


def kd_and_forward(shape, device, steps):
    s = SHAPES[shape]
    tokens = s["batch"] * s["seq"]
    for precision, attn, dtype in modes(device):
        teacher = model(s["teacher"], attn, device).eval()
        student = model(s["student"], attn, device).train()
        opt = torch.optim.AdamW(student.parameters(), lr=1e-4)
        ids = torch.randint(0, s["teacher"][6], (s["batch"], s["seq"]), device=device)
        autocast = torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None)

        def forward():
            with torch.no_grad(), autocast:
                return teacher(input_ids=ids).logits

        def step():
            with torch.no_grad(), autocast:
                t = teacher(input_ids=ids).logits.float()
            with autocast:
                z = student(input_ids=ids).logits.float()
            loss = F.kl_div(F.log_softmax(z, -1).flatten(0, 1), F.log_softmax(t, -1).flatten(0, 1),
                            log_target=True, reduction="batchmean")
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)

        sec = timed(step, device, steps)
        emit(pytorch="kd_step", shape=shape, precision=precision, attention=attn, seconds=sec, tokens_per_s=tokens / sec)
        sec = timed(forward, device, steps)
        emit(pytorch="teacher_forward", shape=shape, precision=precision, attention=attn, seconds=sec,
             tokens_per_s=tokens / sec)
        del teacher, student, opt
        if device == "cuda":
            torch.cuda.empty_cache()


def decode(shape, device, prompt=16, new_tokens=32):
    s = SHAPES[shape]
    for precision, attn, dtype in modes(device):
        teacher = model(s["teacher"], attn, device).eval()
        if dtype is not None:
            teacher = teacher.to(dtype)
        ids = torch.randint(0, s["teacher"][6], (1, prompt), device=device)

        def generate():
            with torch.no_grad():
                teacher.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens,
                                 min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)

        sec = timed(generate, device, 3)
        emit(pytorch="decode", shape=shape, precision=precision, attention=attn, prompt=prompt, new_tokens=new_tokens,
             seconds=sec, tokens_per_s=new_tokens / sec)
        del teacher


def matmul(shape, device, n):
    s = SHAPES[shape]
    hidden, ffn = s["teacher"][0], s["teacher"][5]
    rows = s["batch"] * s["seq"]
    products = [("n^3", n, n, n), ("up_proj", rows, ffn, hidden), ("down_proj", rows, hidden, ffn)]
    for precision, _, dtype in modes(device):
        for name, m, nn, k in products:
            a = torch.randn(m, k, device=device, dtype=dtype or torch.float32)
            b = torch.randn(k, nn, device=device, dtype=dtype or torch.float32)
            sec = timed(lambda: torch.matmul(a, b), device, 10)
            emit(pytorch="matmul", product=name, m=m, n=nn, k=k, precision=precision, seconds=sec,
                 tflops=2.0 * m * nn * k / sec / 1e12)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cuda", "cpu"])
    p.add_argument("--shape", default="anchor", choices=sorted(SHAPES))
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--matmul", type=int, default=2048)
    a = p.parse_args()
    # fp32 means fp32: TF32 tensor cores would change the numbers the Java fp32 kernels are compared with
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    name = torch.cuda.get_device_name() if a.device == "cuda" else "cpu"
    emit(pytorch="versions", torch=torch.__version__, transformers=__import__("transformers").__version__, device=name)
    for stage in (lambda: matmul(a.shape, a.device, a.matmul), lambda: kd_and_forward(a.shape, a.device, a.steps),
                  lambda: decode(a.shape, a.device)):
        try:
            stage()
        except Exception as e:  # one stage failing (out of memory, an API change) must not lose the others
            print(f"pytorch_baseline: {type(e).__name__}: {e}", file=sys.stderr)
            emit(pytorch="error", error=f"{type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
