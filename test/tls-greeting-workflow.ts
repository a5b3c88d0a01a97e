// The smallest workflow, for tests that only need a worker to run something (test/temporal-connection.test.ts).
export async function greeting(name: string): Promise<string> {
  return `hello ${name}`;
}
