#!/usr/bin/env bash
# with_xvfb.sh COMMAND [ARGS...]: runs COMMAND with DISPLAY set to a private
# Xvfb server that lives as long as the command. Xvfb picks a free display
# number itself (-displayfd) and reports it, so servers started side by side
# (ctest -j, several checkouts on one machine) never race for the same one,
# as `xvfb-run -a`'s guess-then-start can. ctest uses it as the viz tests'
# launcher; listing the tests needs no display.
set -euo pipefail

for arg in "$@"; do
  if [ "$arg" = "--gtest_list_tests" ]; then exec "$@"; fi
done

if ! command -v Xvfb >/dev/null 2>&1; then
  echo "with_xvfb.sh: Xvfb not found; install it with: apt-get install xvfb" >&2
  exit 1
fi

fifo_dir="$(mktemp -d)"
fifo="$fifo_dir/displayfd"
mkfifo "$fifo"
# -noreset: a server whose last client disconnects would otherwise reset and
# refuse connections meanwhile, failing a test that reconnects.
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp -noreset 3>"$fifo" \
  >"$fifo_dir/xvfb.log" 2>&1 &
xvfb_pid=$!
cleanup() {
  kill "$xvfb_pid" 2>/dev/null || true
  wait "$xvfb_pid" 2>/dev/null || true
  rm -rf "$fifo_dir"
}
trap cleanup EXIT

# Xvfb writes the display number and a newline once it accepts clients.
if ! read -r -t 30 display <"$fifo" || [ -z "$display" ]; then
  echo "with_xvfb.sh: Xvfb did not start within 30 s:" >&2
  cat "$fifo_dir/xvfb.log" >&2
  exit 1
fi
export DISPLAY=":$display"
set +e
"$@"
status=$?
set -e
exit "$status"
