/**
 * A one-line progress bar on stderr: phase, bar, count/total, rate, elapsed. Redrawn in place on a
 * terminal; elsewhere (a log file, CI) a plain line every few seconds instead.
 */
const WIDTH = 28;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export class Progress {
  private phase = '';
  private total = 0;
  private count = 0;
  private startedAt = 0;
  private lastPlain = 0;
  private shown = false;
  private readonly tty = Boolean(process.stderr.isTTY);

  /** Starts a phase; total 0 means "unknown" (no bar, no count/total). */
  start(phase: string, total = 0): void {
    this.finishLine();
    this.phase = phase;
    this.total = total;
    this.count = 0;
    this.startedAt = Date.now();
    this.lastPlain = 0;
    this.draw();
  }

  update(count: number, extra = ''): void {
    this.count = count;
    this.draw(extra);
  }

  /** Ends the phase with a final line (kept on screen). */
  done(summary = ''): void {
    this.draw(summary, true);
    this.finishLine();
  }

  /** A message of its own line, without breaking the bar. */
  log(message: string): void {
    this.clear();
    process.stderr.write(`${message}\n`);
    if (this.shown) this.draw();
  }

  private line(extra: string): string {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const rate = elapsed > 0 ? this.count / elapsed : 0;
    const parts = [this.phase.padEnd(22)];
    if (this.total > 0) {
      const filled = Math.min(WIDTH, Math.round((this.count / this.total) * WIDTH));
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}]`, `${fmt(this.count)}/${fmt(this.total)}`, `${fmt(rate)}/s`);
    } else if (this.count > 0) {
      parts.push(fmt(this.count));
    }
    parts.push(`${elapsed.toFixed(1)}s`);
    if (extra) parts.push(extra);
    return parts.join('  ');
  }

  private draw(extra = '', final = false): void {
    if (!this.phase) return;
    if (this.tty) {
      const columns = process.stderr.columns || 120;
      process.stderr.write(`\r\x1b[K${this.line(extra).slice(0, columns - 1)}`);
      this.shown = true;
    } else if (final || Date.now() - this.lastPlain >= 5000) {
      process.stderr.write(`${this.line(extra)}\n`);
      this.lastPlain = Date.now();
    }
  }

  private clear(): void {
    if (this.tty && this.shown) process.stderr.write('\r\x1b[K');
  }

  private finishLine(): void {
    if (this.tty && this.shown) process.stderr.write('\n');
    this.shown = false;
    this.phase = '';
  }
}
