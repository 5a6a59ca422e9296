/** A one-line progress bar on stderr when it is a terminal; a line every 5 s otherwise. */
export function startProgress(durationMs: number, requests: () => number): () => void {
  const started = performance.now();
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  const draw = () => {
    const elapsed = Math.min(durationMs, performance.now() - started);
    const fraction = elapsed / durationMs;
    if (tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      process.stderr.write(`\r  load [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(elapsed / 1000).toFixed(0)}s/${(durationMs / 1000).toFixed(0)}s  ${requests()} requests`);
    } else if (elapsed - lastLine >= 5000) {
      lastLine = elapsed;
      process.stderr.write(`  load: ${(elapsed / 1000).toFixed(0)}s/${(durationMs / 1000).toFixed(0)}s, ${requests()} requests\n`);
    }
  };
  const timer = setInterval(draw, 250);
  return () => {
    clearInterval(timer);
    draw();
    if (tty) process.stderr.write('\n');
  };
}
