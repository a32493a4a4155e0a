#!/usr/bin/env bash
# Prepares one short GPU check (issue 6, "GPU"): builds the `wgpu` test and bench binaries on
# this machine (the GPU machine has no network, so it cannot build) and copies them, stripped,
# into .gpu/ (git-ignored through .git/info/exclude), with the command to run there.
#
#   scripts/gpu_bundle.sh            # here: build and bundle (a warm target-wgpu takes minutes)
#   bash .gpu/run.sh                 # there, with `.gpu` and `.gl` carried (see docs/benchmarks.md)
#
# .gl holds the Vulkan/EGL loader packages the device README names; run.sh unpacks them.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/rockpool/target-wgpu}
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude
grep -qx '/.gl/' .git/info/exclude 2>/dev/null || echo '/.gl/' >>.git/info/exclude
rm -rf .gpu && mkdir -p .gpu

# The executables cargo reports for the two targets.
exes() {
    cargo "$@" --features wgpu --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])'
}
cp "$(exes test --release --test backends | grep /backends- | tail -1)" .gpu/backends
cp "$(exes bench --bench lif | grep /lif- | tail -1)" .gpu/lif
strip .gpu/backends .gpu/lif
# The carried paths may hold 64 MiB together: ~90 MB each stripped, ~15 MB each as xz.
xz -T0 -9 .gpu/backends .gpu/lif

cat >.gpu/run.sh <<'EOF'
# On the GPU machine, from the repository root (carry: .gpu, .gl).
set -u
xz -d .gpu/backends.xz .gpu/lif.xz && chmod +x .gpu/backends .gpu/lif
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
nvidia-smi --query-gpu=name,memory.total --format=csv
echo "== tests (wgpu kernels against flex)"
timeout 200 .gpu/backends --test-threads=1 2>&1 | tee "$OUT/tests.log"
echo "== ON workload, n = 4096, 8192, 16384"
ROCKPOOL_BENCH_ON=1 ROCKPOOL_BENCH_ON_SIZES=4096,8192,16384 \
    timeout 300 .gpu/lif --bench 'lif/.*/ON' 2>&1 | tee "$OUT/bench.log"
EOF
ls -la .gpu
du -sh .gpu
