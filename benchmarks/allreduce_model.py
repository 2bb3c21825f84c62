"""A paper model (not a measurement) of data-parallel scaling for nnscratch.

Ring all-reduce of S bytes over N ranks moves 2 (N-1)/N x S bytes through each
rank's link and takes 2 (N-1) latency hops:

    t_allreduce = 2 (N-1)/N x S / bandwidth + 2 (N-1) x latency

nnscratch sums gradients once per step with no overlap with backward, so

    efficiency = t_step / (t_step + t_allreduce [+ t_host])

where ``t_host`` is the default host path's device->host and host->device copy of
the buffer over PCIe (the CUDA-aware path skips it). Run:

    python benchmarks/allreduce_model.py
"""

GB = 1e9

# Gradient buffers (float32): parameter counts of the two networks.
NETWORKS = {
    # 784-256-128-10 MLP: 784*256+256 + 256*128+128 + 128*10+10
    "MLP 784-256-128-10": 235_146,
    # PyTorch's MNIST example CNN: conv 1->32 3x3, conv 32->64 3x3, 2x2 pool, dense 9216->128->10
    "small CNN (1.2M params)": 320 + 18_496 + 1_179_776 + 1_290,
}
# Assumed GPU step time at a per-GPU batch of 128 (an estimate: the MLP is ~35 kernel
# launches, launch-bound; the CNN is ~9 GFLOP per step at a few effective TFLOP/s).
STEP_SECONDS = {"MLP 784-256-128-10": 0.3e-3, "small CNN (1.2M params)": 2.0e-3}

# (label, ranks, link bandwidth bytes/s, per-hop latency s, host path over PCIe?)
FABRICS = [
    ("8 GPUs, NVLink (NCCL, ~230 GB/s bus bw)", 8, 230 * GB, 5e-6, False),
    ("8 GPUs, CUDA-aware MPI over PCIe 4 (~20 GB/s)", 8, 20 * GB, 5e-6, False),
    ("8 GPUs, host path (default): PCIe copies + shared memory (~10 GB/s)", 8, 10 * GB, 2e-6, True),
    ("4 nodes x 8 GPUs, InfiniBand HDR 200 Gb/s (25 GB/s)", 32, 25 * GB, 5e-6, False),
    ("4 nodes x 8 GPUs, InfiniBand NDR 400 Gb/s (50 GB/s)", 32, 50 * GB, 5e-6, False),
]
PCIE = 25 * GB  # PCIe 4 x16, each direction


def allreduce_seconds(nbytes, ranks, bandwidth, latency):
    return 2 * (ranks - 1) / ranks * nbytes / bandwidth + 2 * (ranks - 1) * latency


def table():
    rows = ["| network | fabric | buffer | all-reduce | + host copies | step (assumed) | efficiency |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for net, params in NETWORKS.items():
        nbytes, step = 4 * params, STEP_SECONDS[net]
        for label, ranks, bandwidth, latency, host in FABRICS:
            reduce = allreduce_seconds(nbytes, ranks, bandwidth, latency)
            copies = 2 * nbytes / PCIE if host else 0.0
            rows.append(f"| {net} | {label} | {nbytes / 1e6:.2f} MB | {reduce * 1e3:.3f} ms | "
                        f"{copies * 1e3:.3f} ms | {step * 1e3:.1f} ms | {step / (step + reduce + copies):.0%} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
