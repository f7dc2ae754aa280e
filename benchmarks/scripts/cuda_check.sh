#!/usr/bin/env bash
# CUDA check: build bcbench against a pip (CUDA) LibTorch and run every policy with --device cuda.
# Usage: OUT=DIR [DEBS=folder of Debian 12 .debs to unpack where missing] bash benchmarks/scripts/cuda_check.sh [ibc]
# (results/cuda/README.md says how it was run). Debs are unpacked only when none of their files exist.
set -u
exec > >(tee "$OUT/log.txt") 2>&1
T0=$(date +%s)
el() { echo "[+$(( $(date +%s) - T0 ))s] $*"; }
el start; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
head -2 /etc/os-release; g++ --version | head -1; cmake --version | head -1; nproc; command -v ninja nvcc
python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda, "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI)'
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
TL=$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')
# Debian 12 packages: unpack only those none of whose lib/include/bin files exist (never overwrite).
for f in "${DEBS:-.devdebs}"/*.deb; do
  clash=$(dpkg-deb -c "$f" | awk '{print $6}' | sed 's|^\.||' | grep -E '^/usr/(lib|include|bin)/.*[^/]$' |
          while read -r p; do if [ -e "$p" ] || [ -L "$p" ]; then echo "$p"; break; fi; done)
  if [ -n "$clash" ]; then echo "skip $(basename "$f") ($clash exists)"; else dpkg -x "$f" /; fi
done
ldconfig; el unpacked
export TORCH_CUDA_ARCH_LIST=9.0
G=(); command -v ninja >/dev/null && G=(-G Ninja)
cmake -S . -B build-cuda "${G[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TP" \
  -DCMAKE_POLICY_VERSION_MINIMUM=3.5 -DCMAKE_CUDA_ARCHITECTURES=90 > "$OUT/configure.log" 2>&1
rc=$?; tail -25 "$OUT/configure.log"; el "configured rc=$rc"; [ $rc -eq 0 ] || exit 1
if [ ${#G[@]} -gt 0 ]; then cmake --build build-cuda --target bcbench -- -k 0 -j 16 > "$OUT/build.log" 2>&1
else cmake --build build-cuda --target bcbench -j 16 -- -k > "$OUT/build.log" 2>&1; fi
rc=$?; grep -E "error|FAILED|warning: .*deprecated" "$OUT/build.log" | head -60; el "built rc=$rc"; [ $rc -eq 0 ] || exit 1
B=build-cuda/bcbench; R=/tmp/r; mkdir -p $R
export LD_LIBRARY_PATH="$TL:${LD_LIBRARY_PATH:-}"
t() { echo "== $*"; timeout 150 "$@" > $R/cmd.log 2>&1; echo "rc=$?"; grep -E "samples/s|success|score|error|Error|what|device|cuda|CUDA" $R/cmd.log | tail -8; el done; }
if [ "${1:-}" = ibc ]; then
t $B demos --env pusht --episodes 60 --seed 0 --out $R/pusht.hdf5
t $B --threads 8 train --env pusht --policy ibc --data $R/pusht.hdf5 --out $R/ibc --device cuda --steps 300 --log-every 300
t $B --threads 8 eval --checkpoint $R/ibc --episodes 8 --device cuda --csv $R/ibc_cuda.csv
t $B --threads 8 eval --checkpoint $R/ibc --episodes 8 --device cpu --csv $R/ibc_cpu.csv
t $B --threads 8 eval --checkpoint $R/ibc --episodes 8 --device cuda --unbatched --csv $R/ibc_cuda_unbatched.csv
cp $R/*.csv "$OUT/" 2>/dev/null; el end; exit 0
fi
t $B --help
t $B demos --env pusht --episodes 60 --seed 0 --out $R/pusht.hdf5
t $B --threads 8 train --env pusht --policy diffusion --data $R/pusht.hdf5 --out $R/dp --device cuda --steps 600 --log-every 200
t $B --threads 8 eval --checkpoint $R/dp --episodes 8 --device cuda --csv $R/dp_cuda.csv
t $B --threads 8 eval --checkpoint $R/dp --episodes 8 --device cpu --csv $R/dp_cpu.csv
t $B --threads 8 train --env pusht --policy diffusion --data $R/pusht.hdf5 --out $R/dpcpu --device cpu --steps 100 --log-every 100
t $B --threads 8 train --env pusht --policy diffusion --preset transformer --data $R/pusht.hdf5 --out $R/dpt --device cuda --steps 300 --log-every 300
t $B --threads 8 eval --checkpoint $R/dpt --episodes 4 --device cuda
for p in mlp lstm_gmm bet ibc; do
  t $B --threads 8 train --env pusht --policy $p --data $R/pusht.hdf5 --out $R/$p --device cuda --steps 300 --log-every 300
  t $B --threads 8 eval --checkpoint $R/$p --episodes 4 --device cuda
done
t $B demos --env claw --episodes 20 --seed 0 --out $R/claw.hdf5
t $B --threads 8 train --env claw --policy diffusion --data $R/claw.hdf5 --out $R/dpclaw --device cuda --steps 200 --log-every 200 --set cfg_dropout=0.1 --set guidance_weight=2
t $B --threads 8 eval --checkpoint $R/dpclaw --episodes 4 --device cuda
cp $R/*.csv "$OUT/" 2>/dev/null; el end
