/** `npm start` itself: what it prints once ready, and that Ctrl-C stops every child and closes every port. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Product } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('lifecycle');
});

afterAll(async () => {
  // The test below stopped it; this only cleans up after a failure.
  await product?.kill();
});

describe('npm start', () => {
  it('prints the URLs of everything it started', () => {
    const { ports } = product;
    expect(product.output).toContain(`Web app            http://localhost:${ports.web}`);
    expect(product.output).toContain(`Temporal Web UI    http://127.0.0.1:${ports.ui}`);
    expect(product.output).toContain(`Sandbox mailbox    http://localhost:${ports.web}/sandbox`);
    expect(product.output).toContain(`Temporal (gRPC)    127.0.0.1:${ports.temporal}`);
    expect(product.output).toContain(`Sandbox SMTP       127.0.0.1:${ports.smtp}`);
  });

  it('stops every child and closes every port on Ctrl-C', async () => {
    const before = await product.inspect();
    // Running: the start script, Temporal, the sandbox SMTP server, the worker, the web app and the Web UI's guard, each on its port.
    expect(before.open).toEqual({ web: true, temporal: true, ui: true, smtp: true });
    const commands = before.processes.map((p) => p.command);
    for (const child of [
      /scripts\/start\.ts/,
      /temporal server start-dev/,
      /worker\/sandbox\.ts/,
      /worker\/main\.ts/,
      /scripts\/web-server\.ts/,
      /scripts\/temporal-ui\.ts/,
    ]) {
      expect(
        commands.some((c) => child.test(c)),
        `${child} among ${commands.join('\n')}`,
      ).toBe(true);
    }
    await product.stop();
  });
});
