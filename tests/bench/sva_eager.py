#!/usr/bin/python3
"""The SVA curve of `circuit-trace evaluate` written as plain PyTorch eager code, the baseline of issue #12.

It runs the protocol the way the paper's scripts do: RelP effects of the MLP neurons averaged over the train
examples (batches of 32 of one length), mean ablation values from the test set's patch prompts, then for each
of the 31 default thresholds one batched forward of the test set with the circuit kept (the rest mean-ablated)
and one with its complement kept. Same rules as core/src/engine/llama.cpp: RMSNorm scale, SiLU gate and
attention probabilities constant in the backward, the half rule on act * up.

    /usr/bin/python3 tests/bench/sva_eager.py --run [--train N --test N]     # one run, JSON on stdout
    /usr/bin/python3 tests/bench/sva_eager.py --compare build/bin/circuit-trace [--repeat 5]

--compare runs both programs in turn as whole processes, checks that their curves agree (equal node counts,
faithfulness and completeness within 1e-3) and prints the medians and eager / circuit-trace ratios, in
process (each program's own "seconds": from the loaded model and data to the finished curve) and as whole
processes. Needs Debian's python3-torch, python3-sentencepiece and python3-numpy
(`bash packaging/setup-debian.sh --python`). A benchmark, not a test: CI does not run it.
"""
import argparse
import json
import math
import os
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODEL = os.path.join(ROOT, "resources", "models", "geo")
SVA = os.path.join(ROOT, "resources", "datasets", "sva")


def thresholds():
    """default_thresholds() of circuit_evaluator.cpp: 0, then 30 log-spaced values from 1e-6 to 1."""
    return [0.0] + [10.0 ** (-6.0 + 6.0 * i / 29.0) for i in range(30)]


def load_safetensors(path, torch):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    types = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = bytearray(data[8 + n + b:8 + n + e])
        out[name] = torch.frombuffer(raw, dtype=types[info["dtype"]]).view(info["shape"]).float()
    return out


class Llama:
    """The Llama forward of the demo model (float32), with one hook at the MLP activations."""

    def __init__(self, folder, torch):
        self.torch = torch
        c = json.load(open(os.path.join(folder, "config.json")))
        self.L, self.h, self.kv = c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = c.get("head_dim", c["hidden_size"] // self.h)
        self.eps = c["rms_norm_eps"]
        w = load_safetensors(os.path.join(folder, "model.safetensors"), torch)
        self.embed = w["model.embed_tokens.weight"]                              # [vocab, d]
        self.head = w.get("lm_head.weight", self.embed)                         # [vocab, d]
        self.norm = w["model.norm.weight"]                                      # [d]
        self.layers = [{k: w[f"model.layers.{i}.{k}.weight"] for k in (
            "input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")} for i in range(self.L)]
        self.m = self.layers[0]["mlp.up_proj"].shape[0]
        self.inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, self.hd, 2, dtype=torch.float64) / self.hd))
        self.inv_freq = self.inv_freq.float()                                   # [hd/2]

    def rms(self, x, weight, rules):
        scale = self.torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)  # [..., 1]
        return weight * (x * (scale.detach() if rules else scale))

    def rotate_half(self, x):  # HF's: (x1, x2) -> (-x2, x1) over the two halves of head_dim
        half = x.shape[-1] // 2
        return self.torch.cat((-x[..., half:], x[..., :half]), -1)

    def forward(self, ids, hook=None, rules=False, leaf=None):
        """ids [b, t] -> last-position logits [b, vocab]; hook(layer, act [b, t, m]) -> act."""
        torch, F = self.torch, self.torch.nn.functional
        b, t = ids.shape
        x = self.embed[ids]                                                     # [b, t, d]
        if leaf is not None:
            x = leaf(x)
        freqs = torch.arange(t, dtype=torch.float32)[:, None] * self.inv_freq[None]  # [t, hd/2]
        emb = torch.cat((freqs, freqs), -1)                                     # [t, hd]
        cos, sin = emb.cos(), emb.sin()
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)                       # [t, t] true: hidden
        for l, w in enumerate(self.layers):
            hn = self.rms(x, w["input_layernorm"], rules)                       # [b, t, d]
            q = F.linear(hn, w["self_attn.q_proj"]).view(b, t, self.h, self.hd).transpose(1, 2)   # [b, h, t, hd]
            k = F.linear(hn, w["self_attn.k_proj"]).view(b, t, self.kv, self.hd).transpose(1, 2)  # [b, kv, t, hd]
            v = F.linear(hn, w["self_attn.v_proj"]).view(b, t, self.kv, self.hd).transpose(1, 2)  # [b, kv, t, hd]
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            k = k.repeat_interleave(self.h // self.kv, 1)                       # [b, h, t, hd]
            v = v.repeat_interleave(self.h // self.kv, 1)                       # [b, h, t, hd]
            s = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.hd)       # [b, h, t, t]
            p = torch.softmax(s.masked_fill(mask, float("-inf")), -1)
            if rules:
                p = p.detach()
            z = torch.matmul(p, v).transpose(1, 2).reshape(b, t, self.h * self.hd)  # [b, t, h*hd]
            x = x + F.linear(z, w["self_attn.o_proj"])
            hn = self.rms(x, w["post_attention_layernorm"], rules)
            g = F.linear(hn, w["mlp.gate_proj"])                                # [b, t, m]
            u = F.linear(hn, w["mlp.up_proj"])                                  # [b, t, m]
            n = (g * torch.sigmoid(g).detach() if rules else F.silu(g)) * u     # [b, t, m]
            if rules:
                n = 0.5 * n + 0.5 * n.detach()
            if hook is not None:
                n = hook(l, n)
            x = x + F.linear(n, w["mlp.down_proj"])
        return F.linear(self.rms(x[:, -1], self.norm, rules), self.head)       # [b, vocab]


def load_pairs(path, sp, limit):
    """load_paired_dataset: the first `limit` examples with one-token answers and equal-length prompts."""
    def enc(text):
        return [sp.bos_id()] + sp.encode(text)

    def split(prompt, answer):
        p, full = enc(prompt), enc(prompt + answer)
        return p, (full[len(p):] if len(full) > len(p) and full[:len(p)] == p else sp.encode(answer))

    out = []
    for line in open(path):
        if len(out) >= limit:
            break
        j = json.loads(line)
        clean, ans = split(j["clean_prefix"], j["clean_answer"])
        patch, _ = split(j["patch_prefix"], j["patch_answer"])
        contrast = split(j["clean_prefix"], j["patch_answer"])[1]
        if len(ans) != 1 or len(contrast) != 1 or len(clean) != len(patch) or ans[0] == contrast[0]:
            continue
        out.append((clean, patch, ans[0], contrast[0]))
    return out


def by_length(examples, size):
    groups = {}
    for e in examples:
        groups.setdefault(len(e[0]), []).append(e)
    return [g[s:s + size] for _, g in sorted(groups.items()) for s in range(0, len(g), size)]


def run(args):
    import torch
    import sentencepiece
    torch.set_grad_enabled(False)
    # Debian's torch starts with one thread here; circuit-trace uses every core (its --threads 0).
    torch.set_num_threads(args.threads or os.cpu_count())
    sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(MODEL, "tokenizer.model"))
    model = Llama(MODEL, torch)
    train = load_pairs(os.path.join(SVA, args.set + "_train.json"), sp, args.train)
    test = load_pairs(os.path.join(SVA, args.set + "_test.json"), sp, args.test)
    t0 = time.perf_counter()
    L, m = model.L, model.m

    def metric(logits, batch):  # logit(answer) - logit(contrast), [b]
        a = torch.tensor([e[2] for e in batch])
        c = torch.tensor([e[3] for e in batch])
        return logits.gather(1, a[:, None])[:, 0] - logits.gather(1, c[:, None])[:, 0]

    # RelP effects: grad(m) . (patch - clean) at every neuron, averaged over the train examples.
    T = max(len(e[0]) for e in train)
    effect = torch.zeros(L, T, m)                                               # [L, T, m]
    for batch in by_length(train, 32):
        t = len(batch[0][0])
        patch = {}
        model.forward(torch.tensor([e[1] for e in batch]), hook=lambda l, n: patch.__setitem__(l, n) or n)
        acts = {}
        with torch.enable_grad():
            logits = model.forward(torch.tensor([e[0] for e in batch]), rules=True,
                                   hook=lambda l, n: acts.__setitem__(l, n) or n,
                                   leaf=lambda x: x.detach().requires_grad_(True))
            grads = torch.autograd.grad(metric(logits, batch).sum(), [acts[l] for l in range(L)])
        # Positions every clean and patch prompt of the batch shares ("<s> The") have patch = clean: their
        # effect is 0, as circuit-trace computes it (separate runs would leave rounding noise there, which
        # puts noise nodes in the circuit of threshold 0).
        rows = [e[0] for e in batch] + [e[1] for e in batch]
        p = 0
        while p < t - 1 and all(r[p] == rows[0][p] for r in rows):
            p += 1
        for l in range(L):
            effect[l, p:t] += (grads[l] * (patch[l] - acts[l].detach()))[:, p:].sum(0)
    effect = (effect / len(train)).abs()
    attribution_seconds = time.perf_counter() - t0

    # Mean ablation values per position over the test set's patch prompts.
    Tt = max(len(e[0]) for e in test)
    values, count = torch.zeros(L, Tt, m), torch.zeros(Tt)                      # [L, Tt, m], [Tt]
    for batch in by_length(test, 64):
        t = len(batch[0][0])
        def add(l, n):
            values[l, :t] += n.sum(0)
            return n
        model.forward(torch.tensor([e[1] for e in batch]), hook=add)
        count[:t] += len(batch)
    values /= count.clamp_min(1)[None, :, None]
    mag = torch.full((L, Tt, m), -1.0)                                          # never kept past the train
    P = min(T, Tt)
    mag[:, :P] = effect[:, :P]

    def score(keep):  # mean metric over the test set, neurons outside `keep` ([L, Tt, m] bool) mean-ablated
        total = 0.0
        for batch in by_length(test, 64):
            t = len(batch[0][0])
            hook = None if keep is None else (lambda l, n: torch.where(keep[l, :t], n, values[l, :t]))
            total += metric(model.forward(torch.tensor([e[0] for e in batch]), hook=hook), batch).sum().item()
        return total / len(test)

    m_full = score(None)
    m_empty = score(torch.zeros(L, Tt, m, dtype=torch.bool))
    points = []
    for thr in thresholds():
        circuit = mag > thr
        mc, mcc = score(circuit), score(~circuit)
        points.append({"threshold": thr, "nodes": int(circuit.sum()),
                       "faithfulness": (mc - m_empty) / (m_full - m_empty),
                       "completeness": (mcc - m_empty) / (m_full - m_empty)})
    print(json.dumps({"train": len(train), "test": len(test), "m_full": m_full, "m_empty": m_empty,
                      "threads": torch.get_num_threads(), "attribution_seconds": attribution_seconds,
                      "seconds": time.perf_counter() - t0, "points": points}))


def timed(cmd):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t0, json.loads(out)


def compare(args):
    ours_cmd = [args.compare, "evaluate", "--data", os.path.join(SVA, args.set + "_train.json"), "--limit",
                str(args.train), "--test", os.path.join(SVA, args.set + "_test.json"), "--test-limit",
                str(args.test), "--method", "relp", "--basis", "mlp_act"]
    ours_cmd += ["--threads", str(args.threads)]
    eager_cmd = [sys.executable, os.path.abspath(__file__), "--run", "--set", args.set, "--train", str(args.train),
                 "--test", str(args.test), "--threads", str(args.threads)]
    rows = {"circuit-trace": [], "eager": []}
    for _ in range(args.repeat):
        for name, cmd in (("circuit-trace", ours_cmd), ("eager", eager_cmd)):
            wall, out = timed(cmd)
            rows[name].append((wall, out["seconds"], out))
    ours, eager = rows["circuit-trace"][-1][2], rows["eager"][-1][2]
    worst = 0.0
    for p, q in zip(ours["points"], eager["points"]):
        if p["nodes"] != q["nodes"]:
            sys.exit(f"curves differ: {p['nodes']} nodes against {q['nodes']} at threshold {q['threshold']:.3g}")
        worst = max(worst, abs(p["faithfulness"] - q["faithfulness"]), abs(p["completeness"] - q["completeness"]))
    if worst > 1e-3:
        sys.exit(f"curves differ: faithfulness or completeness by {worst:.3g}")
    print(f"SVA curve ({args.set}: {eager['train']} train, {eager['test']} test, relp, mlp_act, 31 thresholds), "
          f"medians of {args.repeat}; curves agree (equal node counts, largest difference {worst:.2g})")
    med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v)) for k, v in rows.items()}
    for k in ("circuit-trace", "eager"):
        print(f"  {k:14s} in process {med[k][1]:7.3f} s   whole process {med[k][0]:7.3f} s")
    print(f"  eager / circuit-trace: in process {med['eager'][1] / med['circuit-trace'][1]:.2f}x, "
          f"whole process {med['eager'][0] / med['circuit-trace'][0]:.2f}x (target >= 3x)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", action="store_true", help="run the eager protocol once, JSON on stdout")
    ap.add_argument("--compare", metavar="CIRCUIT_TRACE", help="time against this circuit-trace binary")
    ap.add_argument("--set", default="nounpp", help="the SVA set of resources/datasets/sva (default nounpp)")
    ap.add_argument("--train", type=int, default=300)
    ap.add_argument("--test", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch threads, 0 = all cores (default)")
    args = ap.parse_args()
    if args.run:
        run(args)
    elif args.compare:
        compare(args)
    else:
        ap.error("give --run or --compare CIRCUIT_TRACE")


if __name__ == "__main__":
    main()
