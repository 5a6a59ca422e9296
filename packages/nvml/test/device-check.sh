#!/usr/bin/env bash
# @ryot/nvml check on a machine with a real NVIDIA driver (e.g. H200).
# Run from the repository root after `pnpm install`:  bash packages/nvml/test/device-check.sh
# Needs: the NVIDIA driver (nvidia-smi, libnvidia-ml.so.1), gcc/g++/make/python3 (addon and fake
# library builds). Takes well under 3 minutes (the slowest step, the prebuild test, compiles once).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export PATH="$PWD/node_modules/.bin:$PATH"
QUERY=index,name,uuid,pci.bus_id,driver_version,memory.total,memory.used,memory.reserved,utilization.gpu,utilization.memory,temperature.gpu,power.draw,enforced.power.limit,clocks.sm,clocks.mem

echo "== nvidia-smi"
nvidia-smi -L
ldconfig -p | grep -E 'libnvidia-ml\.so' || true

echo "== rebuild the addon from source"
rm -rf packages/nvml/build
(cd packages/nvml && timeout 120 node scripts/install.mjs >/tmp/ryot-nvml-build.log 2>&1) || { tail -30 /tmp/ryot-nvml-build.log; exit 1; }
ls -l packages/nvml/build/Release/ryot_nvml.node

echo "== side by side (first line nvidia-smi, second @ryot/nvml; columns: $QUERY)"
SMI=$(timeout 30 nvidia-smi --query-gpu="$QUERY" --format=csv,noheader,nounits)
OURS=$(timeout 30 node --import tsx packages/nvml/test/fixtures/print-snapshot.ts)
paste -d '\n' <(echo "$SMI" | sed 's/^/smi  /') <(echo "$OURS" | grep -v '^#' | sed 's/^/nvml /')
echo "$OURS" | grep '^#' || true

echo "== status"
timeout 30 node --import tsx -e "import('./packages/nvml/src/session.ts').then(async (m) => console.log(JSON.stringify(await m.getNvmlStatus(), null, 1)))"

echo "== nvml test suite (fake-library tests plus real-gpu.test.ts against nvidia-smi)"
timeout 150 pnpm exec vitest run --config test/vitest.config.ts packages/nvml
